"""Host-side tools for tinyml: run, compare, inspect and benchmark models."""

__version__ = "0.1.0"
