"""Reading Nix sources and turning them into checked ASTs, with diagnostics for failures.

This is what ``nix-instantiate --parse`` does: parse, then bind variables, and report an
undefined variable as an error. Syntax errors stop at the first (the parser cannot go
on); undefined variables are all reported.

Every command reads its inputs here (`read_bytes`, `read_stream`): a regular file only (a
FIFO or a device is refused before a byte is read), in pieces so that a budget can stop a
long read, and up to a cap where the caller has one.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, AnyStr

from . import diagnostics as diag
from .diagnostics import Diagnostic, Label
from .resolve import undefined_variables
from .syntax import Source, SyntaxFailure, parse_source, stored
from .syntax.nodes import Expr, Span


class InputError(Exception):
    """The input cannot be read at all: missing, unreadable, not a regular file (a
    directory without default.nix, a FIFO, a device), or larger than its cap."""


# Read in pieces: a budget (`nixeval.budget`) can stop a long read between two of them,
# and a capped read stops at the cap instead of taking all there is.
CHUNK_BYTES = 1024 * 1024

_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotAFile(Exception):
    """What `read_regular_file` was given is not a regular file: `kind` says what it is
    (``a directory``, ``a named pipe (FIFO)``, …)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class TooLarge(Exception):
    """The file holds more than the `limit` bytes its reader takes."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def read_regular_file(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of the regular file `path`, for every reader of a file the user names
    (inputs here, secrets files). Anything else is refused before a byte is read: a FIFO
    would block, a device such as /dev/zero never end. Raises `NotAFile`, `TooLarge`
    (more than `limit` bytes), or the `OSError` of opening or reading it; the callers word
    the messages."""
    # O_NONBLOCK: opening a FIFO without a writer returns at once (then refused).
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        for test, kind in _NOT_REGULAR:
            if test(mode):
                raise NotAFile(kind)
        return _read_all(lambda size: os.read(fd, size), limit, b"")
    finally:
        os.close(fd)


def read_bytes(path: str, shown: str | None = None, limit: int | None = None) -> bytes:
    """The bytes of the regular file `path` (named `shown` in messages, by default as
    given): `read_regular_file`, with `InputError` saying why it cannot be read."""
    shown = path if shown is None else shown
    try:
        return read_regular_file(path, limit)
    except NotAFile as e:
        raise InputError(f"cannot read '{shown}': it is {e.kind}, not a file") from None
    except TooLarge as e:
        raise InputError(too_large(shown, e.limit)) from None
    except OSError as e:
        raise InputError(cannot_read(shown, e)) from None


def read_stream(stream: IO[str], shown: str, limit: int | None = None) -> str:
    """All of a text stream (standard input), in pieces; `InputError` past `limit`
    characters."""
    try:
        return _read_all(stream.read, limit, "")
    except TooLarge as e:
        raise InputError(too_large(shown, e.limit)) from None
    except OSError as e:
        raise InputError(cannot_read(shown, e)) from None
    except UnicodeDecodeError:
        raise InputError(f"cannot read '{shown}': it is not UTF-8 text") from None


def _read_all(read: Callable[[int], AnyStr], limit: int | None, empty: AnyStr) -> AnyStr:
    pieces: list[AnyStr] = []
    size = 0
    while True:
        piece = read(CHUNK_BYTES)
        if not piece:
            return empty.join(pieces)
        size += len(piece)
        if limit is not None and size > limit:
            raise TooLarge(limit)
        pieces.append(piece)


def too_large(shown: str, limit: int) -> str:
    """The message for an input over its reader's cap."""
    size = f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return f"cannot read '{shown}': it is larger than {size}"


def cannot_read(shown: str, err: OSError) -> str:
    """The message for an input that could not be opened or read."""
    if isinstance(err, FileNotFoundError):
        reason = "no such file or directory"
    elif isinstance(err, IsADirectoryError):
        reason = "it is a directory"
    else:
        reason = err.strerror or str(err)
        reason = reason[:1].lower() + reason[1:]
    return f"cannot read '{shown}': {reason}"


def input_error(message: str, name: str) -> Diagnostic:
    """E007: the input `name` (as the user named it) cannot be read. It has no line or
    column: nothing of it was read."""
    return diag.unplaced("E007", message, name)


def read_source(path: str) -> Source:
    """A file as a Source; a directory means its default.nix, as in Nix."""
    p = path
    if os.path.isdir(p):
        p = os.path.join(p, "default.nix")
    data = read_bytes(p)
    # Nix works on bytes; undecodable ones survive as surrogate escapes, so nothing is lost.
    return Source(p, data.decode("utf-8", "surrogateescape"))


def parse_checked(
    source: Source, extra_names: frozenset[str] = frozenset()
) -> tuple[Expr | None, list[Diagnostic]]:
    """Parse and resolve names (the base environment, plus `extra_names` for
    scopedImport): the expression, or None and the errors.

    Results are kept for the process (syntax trees are immutable): ``check`` evaluates a
    file once per branch, each time with a fresh machine that imports the same files."""
    key = (source.name, source.text, extra_names)
    cached = _PARSED.get(key)
    if cached is not None:
        return cached[0], list(cached[1])
    directory = _stored_trees(source)
    entry = directory / stored.entry_name(source.text, extra_names) if directory else None
    expr = stored.load(entry) if entry is not None else None
    problems: list[Diagnostic] = []
    if expr is None:
        expr, problems = parse_only(source)
        if expr is not None:
            problems = undefined_variable_errors(expr, source, extra_names)
            expr = None if problems else expr
            if expr is not None and entry is not None:
                stored.store(entry, expr)
    if len(_PARSED) >= _PARSED_LIMIT:
        del _PARSED[next(iter(_PARSED))]  # the oldest
    _PARSED[key] = (expr, tuple(problems))
    return expr, problems


_PARSED: dict[tuple[str, str, frozenset[str]], tuple[Expr | None, tuple[Diagnostic, ...]]] = {}
_PARSED_LIMIT = 512


# ci-eval's own Nix (the modelled nixpkgs and effects library) changes only with ci-eval.
# The directory `nixeval.eval.access.MODEL_DIR` names, computed here because --parse does
# not import the evaluator.
_MODELS = os.path.realpath(os.path.join(os.path.dirname(__file__), "nixpkgs")) + os.sep


def _stored_trees(source: Source) -> Path | None:
    """Where the trees of files like `source` are kept between processes
    (`nixeval.syntax.stored`), or None for a file parsed afresh each time: one in or
    under the working directory (the project, whose files change as it is edited). The
    rest are the pinned sources a project imports (nixpkgs lib, flake-parts,
    hercules-ci-effects) and ci-eval's own models, wherever it runs; small ones too, as
    loading even a 28-byte file's tree takes a third of the time parsing it does."""
    if not os.path.isabs(source.name):
        return None
    path = os.path.realpath(source.name)
    here = os.path.realpath(os.getcwd()) + os.sep
    if path.startswith(here) and not path.startswith(_MODELS):
        return None
    from .sources.resolve import cache_dir

    return cache_dir() / "syntax"


def parse_only(source: Source) -> tuple[Expr | None, list[Diagnostic]]:
    """The syntax tree, or None and the syntax error (parsing stops at the first)."""
    try:
        return parse_source(source), []
    except SyntaxFailure as failure:
        issue = failure.issue
        labels = [Label(span, text) for span, text in issue.related]
        notes = [f"help: {issue.hint}"] if issue.hint else []
        return None, [diag.error(issue.code, issue.message, source, issue.span, labels, notes)]


def undefined_variable_errors(
    expr: Expr, source: Source, extra_names: frozenset[str] = frozenset()
) -> list[Diagnostic]:
    """E006 for every variable Nix would reject as undefined, with a "did you mean"."""
    return [
        diag.error(
            "E006",
            f"undefined variable '{u.name}'",
            source,
            u.span,
            notes=[f"help: did you mean '{u.suggestion}'?"] if u.suggestion else [],
        )
        for u in undefined_variables(expr, extra_names)
    ]


def internal_error(source: Source, exc: BaseException) -> Diagnostic:
    """A bug of ours, reported against the file it happened on instead of a traceback."""
    return diag.error(
        "E999",
        f"internal error: {type(exc).__name__}: {exc}",
        source,
        Span(0, 0),
        notes=["this is a bug in ci-eval; run again with --debug for the traceback"],
    )
