"""The docs: examples that run, links that lead somewhere, nothing outside the repository."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import facility_impact

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "configuration.md"
EXAMPLES = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
"""The pages whose links are checked."""

STAND_ALONE = ["README.md", "docs", "configs", "seeds", "facility_impact"]
"""What a clone of the project holds and must explain without anything outside it."""

OUTSIDE = re.compile(r"MODEL\.md|\.\./shared")
"""The design notes outside the repository, which a clone does not have: docs/model.md
carries what the project needs of them."""

LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_page_has_its_examples():
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("text", EXAMPLES, ids=lambda text: text.splitlines()[0])
def test_example_passes_the_checks(text):
    config = facility_impact.load_config(tomllib.loads(text))
    assert config.facilities


def _text_files() -> list[Path]:
    files = []
    for name in STAND_ALONE:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        files += [
            found
            for found in candidates
            if found.is_file() and "__pycache__" not in found.parts and found.suffix != ".pyc"
        ]
    return files


def test_nothing_points_outside_the_repository():
    files = _text_files()
    assert any(path.name == "model.md" for path in files)
    mentions = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(), 1
        )
        if OUTSIDE.search(line)
    ]
    assert not mentions, "cite docs/model.md instead:\n" + "\n".join(mentions)


def anchor(heading: str) -> str:
    """The anchor a Markdown renderer gives a heading, as GitHub makes it."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {anchor(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def test_anchor_follows_the_renderer():
    assert anchor(" Uncertainty, sweeps and scenarios") == "uncertainty-sweeps-and-scenarios"
    assert anchor(" `[recovery.<resource>]`") == "recoveryresource"
    assert anchor(" Outputs (the data contract)") == "outputs-the-data-contract"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_links_lead_to_a_file_and_heading(page):
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # a web address: not checked offline
        file_part, _, fragment = target.partition("#")
        linked = (page.parent / file_part).resolve() if file_part else page
        if not linked.exists():
            broken.append(f"{target}: no file {file_part}")
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(f"{target}: no heading #{fragment} in {linked.name}")
    assert not broken, f"{page.name}: " + "; ".join(broken)
