"""The one exception type that bad input raises, and reading an input file with it."""

from pathlib import Path


class ConfigError(ValueError):
    """A configuration (or an input file) that the model cannot run.

    The message is one line naming the offending key path, the value found and
    what is allowed, e.g. ``strike[0].damage.beds = 1.5: must be a fraction
    between 0 and 1``. The command line prints it and exits with status 2.
    """


def read_input_text(path: Path, what: str, encoding: str = "utf-8") -> str:
    """The text of an input file the user named; a missing file, a folder or a file
    that is not text is a one-line :class:`ConfigError` naming ``what`` it should be
    (e.g. ``"configuration file"``, ``"table"``)."""
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a {what}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
