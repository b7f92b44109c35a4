"""The project's own files: the licence, the citation file and the package metadata agree."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _project() -> dict:
    with (REPO / "pyproject.toml").open("rb") as stream:
        return tomllib.load(stream)["project"]


def _citation() -> dict:
    yaml = pytest.importorskip("yaml")  # PyYAML comes with dask, in the test extras
    citation: dict = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    return citation


def test_the_licence_file_is_the_one_the_package_declares():
    project = _project()
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) ")
    assert "Permission is hereby granted, free of charge" in text
    # A licence expression and a licence classifier together are an error (PEP 639).
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]


def test_the_citation_file_names_the_package_version_licence_and_authors():
    citation, project = _citation(), _project()
    assert citation["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "version", "license", "type"):
        assert citation.get(key), key
    assert citation["version"] == project["version"]
    assert citation["license"] == project["license"]
    assert [author["name"] for author in citation["authors"]] == [
        author["name"] for author in project["authors"]
    ]
    assert citation["keywords"] == project["keywords"]


def test_the_changelog_has_an_unreleased_section_first():
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections[0] == "## [Unreleased]"
