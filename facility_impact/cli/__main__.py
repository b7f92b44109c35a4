"""``python -m facility_impact.cli``: the command line, as ``python -m facility_impact``."""

from facility_impact.cli import console_main

console_main()
