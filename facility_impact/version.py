"""The installed package's version, for the provenance every output records."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("facility-impact")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"
