"""The one exception type that bad input raises."""


class ConfigError(ValueError):
    """A configuration (or an input file) that the model cannot run.

    The message is one line naming the offending key path, the value found and
    what is allowed, e.g. ``strike[0].damage.beds = 1.5: must be a fraction
    between 0 and 1``. The command line prints it and exits with status 2.
    """
