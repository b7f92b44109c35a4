"""The bibliography: every source the project cites, read from ``data/bibliography.toml``.

A configuration comment, a prior's source or a schema default cites a source by
its key after an ``@`` (``@moisi2011``); :func:`citations` finds the keys in a
text and :func:`bibliography` gives each one's full reference (authors, year,
title, journal, volume, issue, pages, DOI or URL) and what was checked of it. A
key that is not in the file is *unresolved*: the report says so, and the tests
keep the reference configurations free of them.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from types import MappingProxyType
from typing import Any

from facility_impact.errors import ConfigError

CITATION = re.compile(r"(?<![\w.@])@([A-Za-z][A-Za-z0-9_]*[A-Za-z0-9])")
"""A citation in a text: ``@`` and a bibliography key."""

_REQUIRED = ("authors", "year", "title", "container")


@dataclass(frozen=True)
class Source:
    """One entry of the bibliography (fields: see the head of ``data/bibliography.toml``)."""

    key: str
    authors: tuple[str, ...]
    year: str
    title: str
    container: str
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    url: str = ""
    isbn: str = ""
    verified: bool = False
    unverified: str = ""

    def short(self) -> str:
        """The citation in a sentence: "Moïsi et al. 2011", "Okabe & Ito 2008"."""
        names = [_surname(author) for author in self.authors if author != "et al."]
        if len(names) > 2 or "et al." in self.authors:
            who = f"{names[0]} et al."
        else:
            who = " & ".join(names)
        return f"{who} {self.year or 'n.d.'}"

    def reference(self) -> str:
        """The full reference: authors (year). Title. Journal volume(issue):pages. DOI or URL."""
        authors = ", ".join(_initials(author) for author in self.authors)
        where = self.container
        if self.volume:
            where += f" {self.volume}"
            where += f"({self.issue})" if self.issue else ""
            where += f":{self.pages}" if self.pages else ""
        elif self.pages:
            where += f", {self.pages}"
        parts = [
            f"{authors} ({self.year or 'n.d.'}).",
            f"{self.title.rstrip('.')}.",
            f"{where.rstrip('.')}.",
        ]
        if self.isbn:
            parts.append(f"ISBN {self.isbn}.")
        if self.doi:
            parts.append(f"doi:{self.doi}")
        elif self.url:
            parts.append(self.url)
        return " ".join(parts)

    def check(self) -> str:
        """What was checked of the source, in a sentence."""
        if self.verified:
            return "Checked against the source."
        return "Not fully checked against the source" + (
            f": {self.unverified}" if self.unverified else "."
        )


def _surname(author: str) -> str:
    """ "Moïsi, Jennifer C." → "Moïsi"; an organisation stays whole."""
    return author.split(",", 1)[0].strip() if "," in author else author.strip()


def _initials(author: str) -> str:
    """ "Moïsi, Jennifer C." → "Moïsi JC"; "Scott, J. Anthony G." → "Scott JAG"."""
    if "," not in author:
        return author.strip()
    surname, given = (part.strip() for part in author.split(",", 1))
    letters = "".join(word[0] for word in re.split(r"[\s.\-]+", given) if word)
    return f"{surname} {letters}" if letters else surname


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _source(key: str, entry: Mapping[str, Any]) -> Source:
    for field in _REQUIRED:
        if field not in entry:
            raise ConfigError(f"bibliography.{key}.{field}: missing; required")
    authors = entry["authors"]
    if not isinstance(authors, list) or not authors:
        raise ConfigError(f"bibliography.{key}.authors = {authors!r}: must be a list of names")
    if not _text(entry["title"]):
        raise ConfigError(f"bibliography.{key}.title: must not be empty")
    return Source(
        key=key,
        authors=tuple(_text(author) for author in authors),
        year=_text(entry["year"]),
        title=_text(entry["title"]),
        container=_text(entry["container"]),
        volume=_text(entry.get("volume")),
        issue=_text(entry.get("issue")),
        pages=_text(entry.get("pages")).replace("-", "–"),
        doi=_text(entry.get("doi")),
        url=_text(entry.get("url")),
        isbn=_text(entry.get("isbn")),
        verified=entry.get("verified") is True,
        unverified=_text(entry.get("unverified")),
    )


@functools.cache
def bibliography() -> Mapping[str, Source]:
    """Every source of ``data/bibliography.toml`` by its key (read once, checked)."""
    text = files("facility_impact").joinpath("data/bibliography.toml").read_text(encoding="utf-8")
    return MappingProxyType(
        {key: _source(key, entry) for key, entry in tomllib.loads(text).items()}
    )


def citations(text: str) -> list[str]:
    """The keys ``text`` cites (``@key``), each once, in order of first mention."""
    return list(dict.fromkeys(CITATION.findall(text)))


def unresolved(text: str) -> list[str]:
    """The keys ``text`` cites that the bibliography does not hold."""
    known = bibliography()
    return [key for key in citations(text) if key not in known]
