"""What a message of bad input says: the key, the value in short form, one line.

A key given twice in a TOML file is named with the lines of both definitions
(tomllib reports only where it noticed, often "at end of document"); a number is
shown as written while that is short and in short scientific form beyond
(``1e+300``, never 301 digits); a key or a value that holds a line break is shown
escaped, so that every message is one line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import edited_reference

from facility_impact.cli import main
from facility_impact.config import parse_setting
from facility_impact.config.toml_text import parse_toml
from facility_impact.errors import ConfigError, echo, show_number

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "configs" / "maarat_al_numan.toml"
ERROR = "facility-impact: error: "


def _one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n") and lines[0].startswith(ERROR), err
    return lines[0].removeprefix(ERROR)


def _check(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    config = tmp_path / "scenario.toml"
    config.write_text(text, encoding="utf-8")
    assert main(["check", str(config)]) == 2
    return _one_line(capsys.readouterr().err)


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0"),
        (-0.0, "-0.0"),
        (0.45, "0.45"),
        (-3, "-3"),
        (1500.0, "1500.0"),
        (0.91261693, "0.91261693"),
        (1e300, "1e+300"),
        (10**300, "1e+300"),
        (int("9" * 400), "1e+400"),
        (-(10**4000), "-1e+4000"),
        (10**9, "1e+09"),
        (4e7, "4e+07"),
        (1234567, "1234567"),
        (2**63 - 1, "9.22337e+18"),
        (1.5e-7, "1.5e-07"),
        (5e-324, "4.94066e-324"),
        (float("nan"), "nan"),
        (float("-inf"), "-inf"),
        (36_525, "36525"),
        (True, "true"),
    ],
)
def test_numbers_are_shown_as_written_or_in_short_scientific_form(value, shown):
    assert show_number(value) == shown


def test_long_values_are_cut_short_and_stay_one_line():
    assert echo("x" * 100) == '"' + "x" * 59 + '…"'
    assert echo(list(range(20))) == "[0, 1, 2, 3, 4, 5, 6, 7, … 20 in all]"
    assert echo({"a b": 1e300, "c": [[[[1]]]]}) == '{"a b" = 1e+300, c = [[[…]]]}'
    assert str(ConfigError("a\nb\tc")) == "a\\nb\\tc"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("\nday = 0\n", "\nday = 1e300\n"), "strike[0].day = 1e+300: must be a whole number"),
        (("\nday = 0\n", "\nday = " + "9" * 400 + "\n"), "strike[0].day = 1e+400: must be"),
        (("population = 40000", "population = 1e-300"), "population = 1e-300: must be between"),
        (
            ("population = 40000", "population = 12345678901"),
            "population = 12345678901: must be between 1 and 1e+09",
        ),
        (
            ('label = "four missiles within minutes"', "label = 1e300"),
            "strike[0].label = 1e+300: must be a string",
        ),
        (
            ('label = "four', '"two\\nlines" = 1\nlabel = "four'),
            "strike[0].two\\nlines: unknown key; allowed here:",
        ),
        (
            ("population = 40000", 'population = "' + "many " * 40 + '"'),
            f'population = "{("many " * 12)[:59]}…": must be a number between 1 and 1e+09',
        ),
    ],
    ids=["float", "400_digits", "tiny", "long_integer", "other_type", "line_break", "long_text"],
)
def test_a_message_shows_the_value_short_on_one_line(edit, expected, tmp_path, capsys):
    assert expected in _check(tmp_path, edited_reference(edit), capsys)


def test_a_number_python_cannot_read_is_one_line_with_its_line(tmp_path, capsys):
    text = edited_reference(("\nday = 0\n", "\nday = " + "9" * 5000 + "\n"))
    line = _check(tmp_path, text, capsys)
    number_line = text.splitlines().index("day = " + "9" * 5000) + 1
    assert line.endswith(f"not valid TOML: line {number_line}: a number of more than 4,300 digits")


def test_nesting_too_deep_to_read_is_one_line(tmp_path, capsys):
    text = edited_reference(("casualties = 0\n", "casualties = " + "[" * 3000 + "]" * 3000 + "\n"))
    assert _check(tmp_path, text, capsys).endswith("nested too deeply to read")


def test_a_setting_too_large_to_read_is_judged_as_text(tmp_path, capsys):
    assert parse_setting("strike.0.day=" + "9" * 5000) == ("strike.0.day", "9" * 5000)
    assert main(["check", str(REFERENCE), "--set", "strike." + "9" * 5000 + ".day=3"]) == 2
    assert "strike holds 1 entries" in _one_line(capsys.readouterr().err)


# --------------------------------------------------------------------------- keys given twice

TWICE = [
    # (text, key, first line, second line): the layouts a key can be given twice in.
    ("a = 1\na = 2\n", "a", 1, 2),
    ("a = 1 # one\n\n\n  a = 2 # two\n", "a", 1, 4),
    ("[t]\nx = 1\n[u]\n[t]\n", "t", 1, 4),
    ('"a" = 1\na = 2\n', "a", 1, 2),
    ("[t]\n'a.b' = 1\n\"a.b\" = 2\n", 't."a.b"', 2, 3),
    ("a.b = 1\na.b = 2\n", "a.b", 1, 2),
    ("a.b = 1\na = 2\n", "a", 1, 2),
    ("a = 1\n[a]\n", "a", 1, 2),
    ("a = 1\na.b = 2\n", "a", 1, 2),
    ("[a.b]\n[a]\nb = 1\n", "a.b", 1, 3),
    ("[a]\nb.c = 1\n[a.b]\n", "a.b", 2, 3),
    ("a = { b = 1 }\na.c = 2\n", "a", 1, 2),
    ("x = { a = 1, a = 2 }\n", "x.a", 1, 1),
    ("x = [\n  { a = 1 },\n  { a = 2, a = 3 },\n]\n", "x[1].a", 3, 3),
    ("[[s]]\nd = 1\n[[s]]\nd = 2\nd = 3\n", "s[1].d", 4, 5),
    ("[[s]]\n[s.x]\n[[s]]\n[s.x]\ny = 1\n[s.x]\n", "s[1].x", 4, 6),
    ("[[s]]\n[s]\n", "s", 1, 2),
    ("s = []\n[[s]]\n", "s", 1, 2),
    ('s = """\na = 1\n[t]\n"""\ns = 2\n', "s", 1, 5),
    ("k = '''x'''''\n# k = 2\nk = 3\n", "k", 1, 3),
    ("a = [\n  1,\n  2,\n]\na = [\n  3]\n", "a", 1, 5),
    ("x = 2016-02-15 07:32:00\nx = 1\n", "x", 1, 2),
    ('[t]\n"b c" = 1\n[t]\n"b c" = 2\n', "t", 1, 3),
]


@pytest.mark.parametrize(("text", "key", "first", "second"), TWICE)
def test_a_key_given_twice_is_named_with_both_lines(text, key, first, second):
    with pytest.raises(ConfigError) as error:
        parse_toml(text, "scenario.toml")
    lines = f" on line {first}" if first == second else f", on line {first} and on line {second}"
    assert str(error.value) == f"scenario.toml: not valid TOML: {key} is given twice{lines}"


@pytest.mark.parametrize(
    ("edit", "key", "first", "second"),
    [
        (
            ("population = 40000", "population = 40000\npopulation = 50000"),
            "facility.maarat_al_numan.population",
            "population = 40000",
            "population = 50000",
        ),
        (
            ("[recruitment]\n", '[recruitment]\ncurve = "exponential"\n[recruitment]\n'),
            "recruitment",
            "[recruitment]",
            "[recruitment]",
        ),
        (
            ("casualties = 0\n", "casualties = 0\n\n[[strike]]\nday = 3\nday = 4\n"),
            "strike[1].day",
            "day = 3",
            "day = 4",
        ),
        (
            ("needs = { staff = 1.0, building = 0.5 }", "needs = { staff = 1.0, staff = 0.5 }"),
            "facility.maarat_al_numan.services.outpatient.needs.staff",
            "needs = { staff = 1.0, staff = 0.5 }",
            "needs = { staff = 1.0, staff = 0.5 }",
        ),
    ],
    ids=["key", "table", "array_entry", "inline_table"],
)
def test_a_configuration_with_a_key_twice_names_it(edit, key, first, second, tmp_path, capsys):
    text = edited_reference(edit)
    lines = text.splitlines()
    at_first = next(n for n, line in enumerate(lines, 1) if line.startswith(first))
    at_second = max(n for n, line in enumerate(lines, 1) if line.startswith(second))
    where = (
        f" on line {at_first}"
        if at_first == at_second
        else f", on line {at_first} and on line {at_second}"
    )
    assert _check(tmp_path, text, capsys).endswith(f"not valid TOML: {key} is given twice{where}")


def test_other_toml_errors_keep_their_position(tmp_path, capsys):
    text = edited_reference(("horizon_days = 365", "horizon_days = = 365"))
    number = text.splitlines().index("horizon_days = = 365") + 1
    line = _check(tmp_path, text, capsys)
    assert f"not valid TOML: Invalid value (at line {number}, column 16)" in line
