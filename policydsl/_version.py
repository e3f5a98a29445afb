"""The version of policydsl (read by the build and by the code cache)."""

__version__ = "0.1.0"
