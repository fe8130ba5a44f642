"""The one error type of the store layer; mirrors Nix's `BadStorePath`, `BadHash`, `EvalError`.

Every message is worded as Nix 2.8 words it, so the evaluator can show it unchanged.
"""

from __future__ import annotations


class StoreError(Exception):
    """Something Nix's store layer (or `derivationStrict`) would reject."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
