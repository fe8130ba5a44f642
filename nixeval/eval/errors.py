"""Evaluation errors, and which of them ``builtins.tryEval`` may catch.

As in Nix, ``throw`` (`Thrown`) and a failed ``assert`` (`AssertionFailed`) are catchable;
everything else (``abort``, type errors, missing attributes, infinite recursion, …) ends
the evaluation. Every error remembers where it happened and, as it travels up, gathers
"while evaluating …" notes (the trace; ``--show-trace`` shows all of it).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..records import Record
from ..syntax.nodes import Span
from ..syntax.source import Source


class Frame(Record):
    """One step of the trace: what was being evaluated, and where."""

    message: str
    source: Source | None
    span: Span | None


class EvalError(Exception):
    """An evaluation error with a stable code, a position and a trace."""

    code = "E100"
    kind = "other"

    def __init__(
        self,
        message: str,
        source: Source | None = None,
        span: Span | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.span = span
        self.hint = hint
        self.trace: list[Frame] = []

    def at(self, source: Source | None, span: Span | None) -> EvalError:
        """Give the error a position if it has none yet (the innermost one wins)."""
        if self.span is None and span is not None:
            self.source, self.span = source, span
        return self

    def note(self, message: str, source: Source | None, span: Span | None) -> None:
        self.trace.append(Frame(message, source, span))


class Catchable(EvalError):
    """An error builtins.tryEval turns into ``{ success = false; }``."""


class Thrown(Catchable):
    """``throw "message"``."""

    code = "E101"
    kind = "throw"


class AssertionFailed(Catchable):
    """``assert false; …``."""

    code = "E102"
    kind = "assert"


class Aborted(EvalError):
    """``abort "message"``: not catchable."""

    code = "E103"
    kind = "abort"


class TypeMismatch(EvalError):
    """A value of the wrong type: ``value is a string while a set was expected``."""

    code = "E104"
    kind = "type"


class MissingAttribute(EvalError):
    code = "E105"
    kind = "missing-attribute"


class UndefinedVariable(EvalError):
    code = "E006"
    kind = "undefined-variable"


class InfiniteRecursion(EvalError):
    code = "E106"
    kind = "infinite-recursion"


class DivisionByZero(EvalError):
    code = "E107"
    kind = "division-by-zero"


class BadArgument(EvalError):
    """A function called with an unexpected argument or without a required one."""

    code = "E108"
    kind = "argument"


class StackOverflow(EvalError):
    """Evaluation went deeper than the evaluator allows (probably unbounded recursion)."""

    code = "E109"
    kind = "infinite-recursion"


class NotFound(EvalError):
    """A file or search-path entry that does not exist."""

    code = "E110"
    kind = "other"


class RestrictedPath(EvalError):
    """Restricted mode (``ci-eval check``): Nix code touched a file outside the allowed
    roots. As Nix's RestrictedPathError it is fatal: ``builtins.tryEval`` cannot catch it,
    so a ci.nix cannot probe the file system for what exists."""

    code = "E112"
    kind = "restricted"


class NeedsValue(EvalError):
    """Evaluation needs to know a value that is unknown offline (to branch on it, compare
    it, or use it as a particular type): say which one, and how to supply it."""

    code = "E111"
    kind = "unknown"

    def __init__(self, unknown: object, why: str) -> None:
        provenance = getattr(unknown, "provenance", "?")
        super().__init__(
            f"{why} needs the value of {provenance}, which is unknown offline",
            hint="supply it with --arg/--argstr (or --as-branch/--as-ref/--as-tag for the "
            "checkout's src), or point -I at a local copy",
        )
        self.unknown = unknown


class ParseFailed(EvalError):
    """An imported file does not parse (or has undefined variables): its diagnostics."""

    code = "E002"
    kind = "other"

    def __init__(self, diagnostics: Sequence[object]) -> None:
        first = diagnostics[0]
        super().__init__(
            getattr(first, "message", "syntax error"),
            getattr(first, "source", None),
            getattr(first, "span", None),
        )
        self.diagnostics = list(diagnostics)
