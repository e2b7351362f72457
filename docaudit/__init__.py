"""docaudit: find the documents a RAG index would answer from that are wrong about time."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("docaudit")  # pyproject.toml is the one place the version is written
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"
