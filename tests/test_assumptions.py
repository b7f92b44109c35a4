"""The assumptions table: each key's value and the source its comment gives, cited by its
bibliography key after an @ (docs/report.md)."""

from __future__ import annotations

import json
import re

import pytest

import facility_impact as fi
from facility_impact.config.assumptions import ASSUMPTION, CITED, OVERRIDE, SETTING, parameters
from facility_impact.config.bibliography import bibliography, citations, unresolved
from facility_impact.errors import ConfigError

TEXT = """\
title = "clinic"  # a name

[run]
horizon_days = 60

[facility.clinic]
population = 1000  # @seed_news_report_2016 ¶13
# Staff roster: @seed_news_report_2016 ¶15.
resources = { staff = 10, building = 1 }

[facility.clinic.services.outpatient]
volume_per_month = 300
# ASSUMPTION: half can wait.
deferrable_share = 0.5

willingness_to_travel = { dist = "triangular", low = 0.2, mode = 0.5, high = 0.8 }  # ASSUMED range
needs = { staff = 1.0, building = 0.5 }

# The restoration curve of @hazus51_eq_tm.
[recovery.building]
curve = "normal"
mean_days = [90, 180]
sd_days = 20  # see "note # 2"

[[strike]]
day = 0
damage = { building = 1.0 }  # photographs, 2016

[[strike]]
day = 10
damage = { building = 0.5 }
distances = [
  [0, 1],  # not a table header
  [1, 0],
]
closure_days = 5  # @seed_news_report_2016, p. 4
casualties = 3  # @nosuchkey2020: not in the bibliography
"""


def _rows(text: str = TEXT, text_format: str = "toml") -> dict[str, tuple[str, str, str]]:
    return {row.key: (row.value, row.source, row.basis) for row in parameters(text, text_format)}


def test_trailing_comment_is_the_source() -> None:
    rows = _rows()
    assert rows["facility.clinic.population"] == ("1000", "@seed_news_report_2016 ¶13", CITED)
    # A quoted '#' is part of the text, not a second comment.
    assert rows["recovery.building.sd_days"][1] == 'see "note # 2"'


def test_comment_block_above_covers_each_entry_of_an_inline_table() -> None:
    rows = _rows()
    for key in ("facility.clinic.resources.staff", "facility.clinic.resources.building"):
        assert rows[key][1:] == ("Staff roster: @seed_news_report_2016 ¶15.", CITED)


def test_assumption_is_said_or_the_comment_is_missing() -> None:
    rows = _rows()
    assert rows["facility.clinic.services.outpatient.deferrable_share"] == (
        "0.5",
        "ASSUMPTION: half can wait.",
        ASSUMPTION,
    )
    # A blank line cuts a comment block off from the key below it.
    assert rows["facility.clinic.services.outpatient.volume_per_month"] == (
        "300",
        "no source given",
        ASSUMPTION,
    )
    assert rows["facility.clinic.services.outpatient.needs.building"][2] == ASSUMPTION
    value, source, basis = rows["facility.clinic.services.outpatient.willingness_to_travel"]
    assert value == "triangular(low 0.2, mode 0.5, high 0.8)"
    assert (source, basis) == ("ASSUMED range", ASSUMPTION)


def test_table_header_comment_covers_its_keys_and_sweeps_are_described() -> None:
    rows = _rows()
    assert rows["recovery.building.mean_days"] == (
        "sweep over [90, 180]",
        "The restoration curve of @hazus51_eq_tm.",
        CITED,
    )


def test_arrays_of_tables_are_indexed_and_multi_line_values_skipped() -> None:
    rows = _rows()
    # A comment that cites nothing is a reason, not a source: an assumption.
    assert rows["strike.0.damage.building"] == ("1.0", "photographs, 2016", ASSUMPTION)
    assert rows["strike.1.damage.building"] == ("0.5", "no source given", ASSUMPTION)
    # The lines "[0, 1]," inside the multi-line list are not table headers, and the
    # key after the list still finds its comment.
    assert rows["strike.1.closure_days"] == ("5", "@seed_news_report_2016, p. 4", CITED)
    assert rows["strike.1.distances"] == ("[[0, 1], [1, 0]]", "no source given", ASSUMPTION)
    assert not [key for key in rows if key.startswith("0")]


def test_names_and_run_settings_are_settings() -> None:
    rows = _rows()
    # A name with a comment that cites nothing stays a setting; one that cites is cited.
    assert rows["title"] == ('"clinic"', "a name", SETTING)
    assert rows["run.horizon_days"] == ("60", "", SETTING)
    assert rows["recovery.building.curve"][2] == CITED  # under the header's comment


def test_a_citation_is_a_key_of_the_bibliography_after_an_at() -> None:
    rows = {row.key: row for row in parameters(TEXT)}
    assert rows["facility.clinic.population"].citations == ("seed_news_report_2016",)
    assert rows["recovery.building.sd_days"].citations == ()
    # A key the bibliography does not hold is listed, but cites nothing: an assumption.
    casualties = rows["strike.1.casualties"]
    assert casualties.citations == ("nosuchkey2020",)
    assert casualties.basis == ASSUMPTION
    assert unresolved(TEXT) == ["nosuchkey2020"]
    assert citations("mail a@b.org; see @moisi2011 and @moisi2011.") == ["moisi2011"]
    # ASSUMPTION wins over a citation beside it.
    mixed = parameters("[facility.a]\npopulation = 5  # @moisi2011 and ASSUMED speed\n")
    assert (mixed[0].basis, mixed[0].citations) == (ASSUMPTION, ("moisi2011",))


def test_a_table_without_a_comment_takes_the_nearest_enclosing_one() -> None:
    text = (
        "# ILLUSTRATIVE: a neighbour.\n[facility.b]\npopulation = 5\n\n"
        "[facility.b.services.outpatient]\nvolume_per_month = 30\n"
    )
    rows = _rows(text)
    assert rows["facility.b.services.outpatient.volume_per_month"][1:] == (
        "ILLUSTRATIVE: a neighbour.",
        ASSUMPTION,
    )


def test_bibliography_entries_are_complete() -> None:
    for key, source in bibliography().items():
        assert source.authors and source.title and source.container, key
        # A full reference: a DOI or an address where it has no volume and pages.
        reference = source.reference()
        assert source.title in reference, key
        if not (source.volume and source.pages):
            assert source.doi or source.url or source.isbn or not source.verified, key
    moisi = bibliography()["moisi2011"]
    assert moisi.short() == "Moïsi et al. 2011"
    assert moisi.reference().startswith("Moïsi JC, Nokes DJ, Gatakaa H")
    # The page range its issue-2 article has (not "89:725").
    assert "Bulletin of the World Health Organization 89(2):102–111." in moisi.reference()
    assert moisi.reference().endswith("doi:10.2471/BLT.10.080796")


def test_command_line_overrides_are_listed_as_such() -> None:
    text = TEXT + "\n# overridden: strike.1.closure_days = [5, 10]\n"
    rows = _rows(text)
    assert rows["strike.1.closure_days"] == (
        "sweep over [5, 10]",
        "set on the command line (overrides the file)",
        OVERRIDE,
    )


def test_every_key_of_a_real_configuration_is_listed(tmp_path) -> None:
    config = fi.load_config("configs/maarat_al_numan_options.toml", settings=[("strike.0.day", 3)])
    rows = _rows(config.text)
    assert rows["strike.0.day"][2] == OVERRIDE
    assert rows["facility.maarat_al_numan.population"][1:] == (
        "@seed_news_report_2016 ¶13, approximate (seed facility.catchment_population)",
        CITED,
    )
    assert rows["recovery.building.delay_days"][0] == (
        "lognormal(median 81, dispersion 0.6, truncated to [0, 365]) [random stream repair_delay]"
    )
    assert rows['scenario.reconstruction_supported.set."recovery.building.mean_days"'][0] == (
        "triangular(low 120, mode 180, high 270) [random stream rebuild_days]"
    )


def test_mapping_configuration_has_no_comments() -> None:
    text = json.dumps({"run": {"horizon_days": 30}, "facility": {"a": {"population": 5}}})
    rows = _rows(text, "json")
    assert rows["facility.a.population"] == ("5", "no source given", ASSUMPTION)


def test_unreadable_text_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="configuration text"):
        parameters("this is = = not toml")


CONFIGS = sorted(__import__("pathlib").Path(__file__).resolve().parents[1].glob("configs/*.toml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[path.stem for path in CONFIGS])
def test_every_configuration_cites_by_key_and_stands_alone(path) -> None:
    """What the report shows of a configuration's keys stands alone: each citation
    resolves in the bibliography, no source points elsewhere in the file ("see above")
    or at a document the report does not carry, every quantity has a comment, and no
    key is "cited" whose comment assumes something."""
    text = path.read_text(encoding="utf-8")
    assert unresolved(text) == [], path.name
    for row in parameters(text):
        where = f"{path.name}: {row.key}"
        assert not re.search(r"see (above|top|below)|MODEL\.md", row.source, re.I), where
        assert row.source != "no source given", where
        assert not re.search(r"\bseed:", row.source), where  # the news report by its key
        if row.basis == CITED:
            assert row.citations and not re.search(r"ASSUM|ILLUSTRATIVE", row.source, re.I), where


def test_the_priors_cite_resolved_keys() -> None:
    from importlib.resources import files

    text = files("facility_impact").joinpath("data/attack_priors.toml").read_text("utf-8")
    assert unresolved(text) == []
    assert "burbach2024" in citations(text)
