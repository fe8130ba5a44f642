"""A library's bash text as argument lists, when it is only simple commands.

An effect description shows the commands an effect runs as argument lists
(``["cachix", "deploy", "activate", "«cachix-deploy.json»", "--async"]``). For an effect
the real hercules-ci-effects made, the commands are in its bash texts; `simple_commands`
reads them as bash would, but only texts made of simple commands: words, quotes, escapes,
line continuations, comments, and ``$NAME``/``${NAME}`` of the derivation's environment
(split into words when unquoted, as bash splits them). Anything else — control flow,
pipes, redirections, command substitution, globs, assignments, a variable the
environment does not give as a string — and the text stays a script: nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
# Unquoted, these make a text more than simple commands.
_SPECIAL = set("|&;<>()`*?[]{}~")
_KEYWORDS = frozenset(
    [
        *("if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done"),
        *("case", "esac", "function", "select", "[[", "]]", "!", "{", "}", "time", "coproc"),
    ]
)


class NotSimple(Exception):
    """The text is more than simple commands."""


def simple_commands(text: str, env: Mapping[str, object]) -> list[list[str]] | None:
    """The argument lists of `text`'s commands, or None when it is not only simple
    commands whose words the environment `env` determines."""
    try:
        commands = [_words(line, env) for line in _lines(text)]
    except NotSimple:
        return None
    commands = [c for c in commands if c]
    for words in commands:
        if words[0] in _KEYWORDS or _ASSIGNMENT.match(words[0]):
            return None
    return commands


def _lines(text: str) -> list[str]:
    """The logical lines: backslash-newline joins, as bash reads them."""
    return text.replace("\\\n", "").split("\n")


def _words(line: str, env: Mapping[str, object]) -> list[str]:
    words: list[str] = []
    current: list[str] = []
    started = False  # a word has begun (even an empty quoted one: '')
    i, n = 0, len(line)

    def end() -> None:
        nonlocal started
        if started:
            words.append("".join(current))
            current.clear()
            started = False

    while i < n:
        c = line[i]
        if c in " \t":
            end()
            i += 1
        elif c == "#" and not started:
            break  # a comment
        elif c == "\\":
            if i + 1 >= n:
                raise NotSimple
            current.append(line[i + 1])
            started = True
            i += 2
        elif c == "'":
            close = line.find("'", i + 1)
            if close < 0:
                raise NotSimple
            current.append(line[i + 1 : close])
            started = True
            i = close + 1
        elif c == '"':
            i = _double_quoted(line, i + 1, env, current)
            started = True
        elif c == "$":
            value, i = _variable(line, i + 1, env)
            # Unquoted: split into words on whitespace, as bash's IFS does.
            parts = value.split()
            if value[:1].isspace():
                end()
            for k, part in enumerate(parts):
                if k:
                    end()
                current.append(part)
                started = True
            if value[-1:].isspace():
                end()
        elif c in _SPECIAL:
            raise NotSimple
        else:
            current.append(c)
            started = True
            i += 1
    end()
    return words


def _double_quoted(line: str, i: int, env: Mapping[str, object], out: list[str]) -> int:
    """Read a double-quoted part from just after its ``"``; the index after its end."""
    while i < len(line):
        c = line[i]
        if c == '"':
            return i + 1
        if c == "\\" and i + 1 < len(line) and line[i + 1] in '$`"\\':
            out.append(line[i + 1])
            i += 2
        elif c == "$":
            value, i = _variable(line, i + 1, env)
            out.append(value)
        elif c == "`":
            raise NotSimple
        else:
            out.append(c)
            i += 1
    raise NotSimple


def _variable(line: str, i: int, env: Mapping[str, object]) -> tuple[str, int]:
    """``$NAME`` or ``${NAME}`` from just after the ``$``: its value and the index after."""
    braced = line.startswith("{", i)
    match = _NAME.match(line, i + 1 if braced else i)
    if match is None:
        raise NotSimple  # $(…), $1, $@, …
    end = match.end()
    if braced:
        if not line.startswith("}", end):
            raise NotSimple  # ${NAME:-…} and friends
        end += 1
    value = env.get(match.group(0))
    if not isinstance(value, str):
        raise NotSimple
    return value, end
