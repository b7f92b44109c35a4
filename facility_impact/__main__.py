"""``python -m facility_impact``: the ``facility-impact`` command, for when the
console script is not on the PATH (same arguments, output and exit status)."""

from facility_impact.cli import console_main

if __name__ == "__main__":
    console_main()
