"""Real places and real records in: facility tables (CSV, GeoJSON), attack records,
travel distances and times, written out as a commented configuration.

Above ``run`` (it writes with :func:`facility_impact.run.io.atomic_path`) and below
the command line. docs/data_import.md describes the tables and the rules.
"""

from facility_impact.ingest.importing import import_tables, import_text, parse_start

__all__ = ["import_tables", "import_text", "parse_start"]
