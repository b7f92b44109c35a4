"""What the commands do, apart from reading their arguments: one path for the
command line and the Python API.

* :func:`run_to_files`: configuration → results (in memory, or in chunks with
  dask) → summary → the results file and the summary table;
* :func:`sensitivity_to_files`: configuration → sensitivity indices → their
  NetCDF file and table;
* :func:`figures_from_file`: a results file → every figure that applies, and
  with ``html=True`` the self-contained report (``plot`` and ``report``);
* :func:`import_to_config`: a facility table and attack records → a commented
  configuration file (``import``, :mod:`facility_impact.ingest`);
* :func:`validate_to_files`: the observed effects → the model's counterparts →
  ``validation.csv`` and ``validation.png`` (``validate``);
* :func:`calibrate_to_files`: the observed effects → the fitted priors table and its
  diagnostics (``calibrate``; docs/validation.md).

Each writes its outputs together or not at all (:mod:`facility_impact.run.staging`).
Bad input of any kind (a configuration, a folder, a results file) raises
:class:`~facility_impact.errors.ConfigError`, whose one-line message names the
command-line option concerned, and so do a simulation estimated to need more
memory than there is (before anything is drawn: :mod:`facility_impact.run.budget`)
and numbers that overflow; an output that cannot be written (a full disk)
raises ``OSError`` naming it; a chunked run whose cluster gave up raises
:class:`~facility_impact.run.scale.RunFailed`. What each promise is, and the
test that holds it: ``docs/reliability.md``.

This layer sits above ``present`` (figures and the report), ``ingest`` and ``run``; only
``cli`` and the package's ``__init__`` import it.
"""

from facility_impact.commands.evidence import (
    CalibrationOutcome,
    ValidationOutcome,
    calibrate_to_files,
    validate_to_files,
)
from facility_impact.commands.workflow import (
    OUTPUT_FORMATS,
    FiguresOutcome,
    RunOutcome,
    check_save,
    chunk_options,
    figures_from_file,
    import_to_config,
    no_overflow,
    output_folder,
    read_results,
    run_document,
    run_to_files,
    sensitivity_to_files,
)

__all__ = [
    "OUTPUT_FORMATS",
    "CalibrationOutcome",
    "FiguresOutcome",
    "RunOutcome",
    "ValidationOutcome",
    "calibrate_to_files",
    "check_save",
    "chunk_options",
    "figures_from_file",
    "import_to_config",
    "no_overflow",
    "output_folder",
    "read_results",
    "run_document",
    "run_to_files",
    "sensitivity_to_files",
    "validate_to_files",
]
