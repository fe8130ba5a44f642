"""``python -m nixeval`` is ``ci-eval``."""

from .cli import entry_point

entry_point()
