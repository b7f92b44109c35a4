"""The key tables of ``docs/configuration.md``, written from the schema, and the
tables of the priors of attacks, written from their data file.

``python -m facility_impact.config.docs`` rewrites every region between
``<!-- BEGIN GENERATED keys <pattern> -->`` and ``<!-- END GENERATED keys <pattern> -->``
with the table of the keys under ``<pattern>`` (``""`` is written ``top``), and
every region ``<!-- BEGIN GENERATED priors <name> -->`` … with the priors' table
of that name (:mod:`facility_impact.config.prior_docs`); the prose around the
regions is left alone. ``--check`` only says whether the
file is up to date (exit status 1 when it is not), as the tests do.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from facility_impact.config.prior_docs import TABLES, prior_table
from facility_impact.config.schema import allowed_text, children, default_text, varies_text
from facility_impact.config.spec import Key

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
"""The page, in a clone of the repository."""

_REGION = re.compile(
    r"(<!-- BEGIN GENERATED (?P<kind>keys|priors) (?P<name>\S+) -->\n)(?P<body>.*?)"
    r"(<!-- END GENERATED (?P=kind) (?P=name) -->)",
    re.S,
)
_HEADER = ("key", "meaning", "unit", "default", "allowed", "sweep / distribution")


def key_table(pattern: str) -> str:
    """The Markdown table of the keys directly under ``pattern``."""
    rows = [_HEADER, ("---",) * len(_HEADER)]
    rows += [_row(key) for key in children(pattern)]
    return "".join("| " + " | ".join(row) + " |\n" for row in rows)


def _row(key: Key) -> tuple[str, ...]:
    cells = (
        f"`{key.name}`",
        key.doc,
        key.unit,
        default_text(key),
        allowed_text(key),
        varies_text(key),
    )
    # A "|" inside a cell would end it.
    return tuple(cell.replace("|", "\\|") for cell in cells)


def render(text: str) -> str:
    """``text`` (the page) with every generated region rewritten."""

    def table_for(match: re.Match[str]) -> str:
        name = match["name"]
        if match["kind"] == "priors":
            if name not in TABLES:
                raise ValueError(f"docs region {name!r}: no such table of the priors")
            return match.group(1) + prior_table(name) + match.group(5)
        pattern = "" if name == "top" else name
        if not children(pattern):
            raise ValueError(f"docs region {name!r}: no keys under that pattern in the schema")
        return match.group(1) + key_table(pattern) + match.group(5)

    return _REGION.sub(table_for, text)


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite (or with ``--check``, compare) the page; 1 when ``--check`` finds it stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "path", nargs="?", default=str(DOC), help="the page [docs/configuration.md]"
    )
    parser.add_argument("--check", action="store_true", help="only check that it is up to date")
    args = parser.parse_args(argv)
    path = Path(args.path)
    text = path.read_text(encoding="utf-8")
    written = render(text)
    if args.check:
        if written != text:
            print(
                f"{path}: key tables differ from the schema; run python -m "
                "facility_impact.config.docs",
                file=sys.stderr,
            )
            return 1
        return 0
    if written != text:
        path.write_text(written, encoding="utf-8")
        print(f"rewrote the key tables of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
