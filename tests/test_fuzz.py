"""A fuzz test of bad input: the reference configuration, mutated, through the command line.

Hypothesis mutates ``configs/maarat_al_numan.toml``: values replaced by other types,
signs flipped, magnitudes from 5e-324 to 1e308 and beyond (``-0.0``, ``nan``,
``inf``, integers of 400 digits), unknown keys added, names changed (empty, dotted,
with line breaks, reserved), required keys deleted, tables turned into lists and
back, and lines of the text repeated. Each configuration goes through
:func:`facility_impact.cli.main` in-process, ``check`` or ``run`` (30 days, a few
draws), and must end as docs/reliability.md promises: status 0 or 2, never a
traceback, one line on stderr on status 2, and then no file at the outputs' names.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import json
import math
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facility_impact.cli import main
from facility_impact.config.variation import DISTRIBUTION_KEYS

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "configs" / "maarat_al_numan.toml"
TEXT = REFERENCE.read_text(encoding="utf-8")
RAW = tomllib.loads(TEXT)
STEM = "fuzzed"
OUTPUTS = (f"{STEM}.nc", f"{STEM}-summary.csv")
SHORT = ["--set", "run.horizon_days=30"]
RUN = ["--draws", "3", "--max-memory", "1GB"]
ERROR = "facility-impact: error: "

# --------------------------------------------------------------------------- values

EXTREMES = [
    0,
    -0.0,
    -1,
    0.5,
    1,
    2,
    1e308,
    -1e308,
    1e300,
    5e-324,
    1e-300,
    math.nan,
    math.inf,
    -math.inf,
    2**63,
    2**64 + 1,
    10**400,
    -(10**400),
    36_525,
    36_526,
    10**9,
    10**9 + 1,
    10**8,
    10**6,
    1e6 + 0.5,
    10**4,
    1000,
    40_000,
]
NAMES = [
    "",
    " ",
    "a.b",
    "a b",
    "base",
    "draw",
    "time",
    "scenario",
    "0",
    "é",
    "a\nb",
    "tab\there",
    "x" * 300,
    "staff",
    "outpatient",
    "maarat_al_numan",
]
FAMILIES = ["uniform", "triangular", "pert", "normal", "lognormal", "beta", "gamma"]

numbers = st.one_of(
    st.sampled_from(EXTREMES),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
)
names = st.one_of(st.sampled_from(NAMES), st.text(max_size=12))
scalars = st.one_of(numbers, st.booleans(), names, st.dates())


@st.composite
def distributions(draw: st.DrawFn) -> dict[str, Any]:
    """A distribution table: a family (or an unknown one) with most of its keys."""
    family = draw(st.sampled_from(FAMILIES))
    required, optional = DISTRIBUTION_KEYS.get(family, (("low", "high"), ("mode",)))
    table: dict[str, Any] = {"dist": family}
    for key in (*required, *optional):
        if draw(st.integers(0, 9)) < (9 if key in required else 3):
            table[key] = draw(numbers)
    return table


values = st.one_of(
    st.sampled_from(EXTREMES),
    scalars,
    distributions(),
    st.lists(scalars, max_size=5),
    st.lists(numbers, min_size=1, max_size=5),
    st.dictionaries(names, scalars, max_size=3),
    st.builds(dict),
    st.builds(list),
)

# --------------------------------------------------------------------------- mutations


def _places(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every node of the configuration with its path (the root first)."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _places(value, (*path, index))


def _parent(raw: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = raw
    for part in path[:-1]:
        node = node[part]
    return node


@st.composite
def mutation(draw: st.DrawFn, raw: dict[str, Any]) -> str:
    """Change ``raw`` in place in one way; return what was done."""
    places = list(_places(raw))
    path, node = draw(st.sampled_from(places))
    kind = draw(
        st.sampled_from(
            [
                "value",
                "value",
                "number",
                "number",
                "distribution",
                "scenario",
                "delete",
                "unknown key",
                "rename",
                "shape",
            ]
        )
    )
    if not path and kind not in ("unknown key", "scenario"):
        kind = "unknown key"
    if kind == "unknown key" and not isinstance(node, dict):
        kind = "value"
    if kind == "rename" and not isinstance(_parent(raw, path), dict):
        kind = "delete"
    if kind in ("number", "distribution") and (
        isinstance(node, bool) or not isinstance(node, int | float)
    ):
        kind = "value"
    parent = _parent(raw, path) if path else None
    if kind == "scenario":
        # A named variant that sets the key at ``path`` (``strike.0.day``) to a value.
        key = ".".join(str(part) for part in path) or draw(names)
        if not isinstance(raw.get("scenario"), dict):
            raw["scenario"] = {}
        raw["scenario"][draw(names)] = {"set": {key: draw(values)}}
        return f"scenario setting {key}"
    if kind == "value":
        parent[path[-1]] = draw(values)
    elif kind == "number":
        factor = draw(st.sampled_from([-1, 10, 1e10, 1e300, 1e-300, -0.0, 0.5, 10**400]))
        try:
            parent[path[-1]] = node * factor
        except OverflowError:
            parent[path[-1]] = math.inf
    elif kind == "distribution":
        parent[path[-1]] = draw(distributions())
    elif kind == "delete":
        del parent[path[-1]]
    elif kind == "unknown key":
        node[draw(names)] = draw(values)
    elif kind == "rename":
        parent[draw(names)] = parent.pop(path[-1])
    elif isinstance(node, dict):
        parent[path[-1]] = [node] if draw(st.booleans()) else list(node.values())
    elif isinstance(node, list):
        parent[path[-1]] = node[0] if node else {}
    else:
        parent[path[-1]] = {"value": node}
    return f"{kind} at {path}"


@st.composite
def configurations(draw: st.DrawFn) -> tuple[str, list[str]]:
    """The text of a mutated reference configuration and what was changed."""
    if draw(st.integers(0, 5)) == 0:
        return _repeated_line(draw)
    raw = copy.deepcopy(RAW)
    done = [draw(mutation(raw)) for _ in range(draw(st.integers(1, 3)))]
    return toml_text(raw), done


def _repeated_line(draw: st.DrawFn) -> tuple[str, list[str]]:
    """The reference's text with one of its lines written again, elsewhere."""
    lines = TEXT.splitlines()
    line = draw(st.integers(0, len(lines) - 1))
    where = draw(st.integers(0, len(lines)))
    lines.insert(where, lines[line])
    return "\n".join(lines) + "\n", [f"line {line + 1} repeated before line {where + 1}"]


# --------------------------------------------------------------------------- TOML


def toml_text(raw: dict[str, Any]) -> str:
    """``raw`` as TOML: one ``key = value`` line per top-level key, inline tables below."""
    return "".join(f"{_key(key)} = {_value(value)}\n" for key, value in raw.items())


def _key(key: str) -> str:
    return _string(str(key))


def _string(text: str) -> str:
    # JSON's escapes are TOML's, but for DEL, which TOML wants escaped too.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    return "[" + ", ".join(_value(v) for v in value) + "]"


def test_the_toml_writer_gives_back_the_reference():
    assert tomllib.loads(toml_text(RAW)) == RAW
    odd = {"a": [math.inf, -math.inf, -0.0, 10**400, "x\x7fy\n", dt.date(1, 1, 1)], "": {}}
    back = tomllib.loads(toml_text(odd))
    assert back["a"][1:] == odd["a"][1:] and back["a"][0] == math.inf and back[""] == {}


# --------------------------------------------------------------------------- the test


def _command(args: list[str]) -> tuple[int, str]:
    """Status and stderr of ``facility-impact`` with ``args``, in-process."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = main(args)
    return status, err.getvalue()


def _promises_kept(text: str, command: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / f"{STEM}.toml"
        config.write_text(text, encoding="utf-8")
        out = Path(folder) / "out"
        args = [command, str(config), *SHORT]
        if command == "run":
            args += [*RUN, "--out", str(out)]
        status, err = _command(args)
        assert status in (0, 2), err
        assert "Traceback" not in err and "Exception ignored" not in err, err
        if status == 2:
            lines = err.splitlines()
            assert len(lines) == 1 and err.endswith("\n"), err
            assert lines[0].startswith(ERROR), err
        if command == "run":
            written = sorted(p.name for p in out.iterdir()) if out.exists() else []
            assert written == (sorted(OUTPUTS) if status == 0 else []), (status, err, written)


def _fuzz(case: tuple[str, list[str]], command: str) -> None:
    text, done = case
    try:
        _promises_kept(text, command)
    except BaseException as error:
        # The mutations and the text, to reproduce a failure by hand.
        raise AssertionError(f"{'; '.join(done)}\n{text}") from error


FAST = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FAST
@given(configurations(), st.sampled_from(["check", "check", "run"]))
def test_mutated_configurations_end_as_promised(case, command):
    _fuzz(case, command)


@pytest.mark.slow
@settings(FAST, max_examples=400)
@given(configurations(), st.sampled_from(["check", "run"]))
def test_many_mutated_configurations_end_as_promised(case, command):
    _fuzz(case, command)
