"""The configuration examples in docs/configuration.md are valid configurations."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import facility_impact

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
EXAMPLES = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_page_has_its_examples():
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("text", EXAMPLES, ids=lambda text: text.splitlines()[0])
def test_example_passes_the_checks(text):
    config = facility_impact.load_config(tomllib.loads(text))
    assert config.facilities
