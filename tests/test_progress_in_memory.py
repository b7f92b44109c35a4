"""Progress of an in-memory run: days simulated, on a terminal only."""

from __future__ import annotations

import io
import logging
import tomllib

import pytest
from helpers import ENSEMBLE_TOML

from facility_impact import simulate
from facility_impact.cli import main
from facility_impact.config import load_config
from facility_impact.model.kernel import run_model
from facility_impact.model.parameters import build_parameters
from facility_impact.run.progress import day_progress


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _config():
    return load_config(tomllib.loads(ENSEMBLE_TOML))


def test_the_kernel_reports_every_day_done():
    calls = []
    run_model(build_parameters(_config()), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(day, 40) for day in range(1, 41)]


def test_a_terminal_shows_the_days_simulated_and_the_numbers_do_not_change():
    stream = FakeTerminal()
    with day_progress(stream) as advance:
        shown = simulate(_config(), progress=advance)
    assert advance is not None
    last = stream.getvalue().split("\r")[-1]
    assert last.startswith("simulated: 100%|") and "| 40/40 [" in last
    assert " days/s]" in last or " s/ days]" in last
    assert stream.getvalue().endswith("\n")
    assert shown.identical(simulate(_config()))


def test_quiet_turns_the_bar_off_on_a_terminal_too():
    """-q sets the package's logger to warnings; the bar goes with the notes."""
    package = logging.getLogger("facility_impact")
    stream = FakeTerminal()
    package.setLevel(logging.WARNING)
    try:
        with day_progress(stream) as advance:
            assert advance is None
    finally:
        package.setLevel(logging.NOTSET)
    assert stream.getvalue() == ""


@pytest.mark.slow
def test_no_progress_when_not_a_terminal(tmp_path, capsys):
    stream = io.StringIO()
    with day_progress(stream) as advance:
        assert advance is None
    assert stream.getvalue() == ""
    config = tmp_path / "clinic.toml"
    config.write_text(ENSEMBLE_TOML)
    assert main(["run", str(config), "--out", str(tmp_path)]) == 0
    assert "simulated" not in capsys.readouterr().err
