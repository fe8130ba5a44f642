"""Text from a project, made safe to print on a terminal.

A ``ci.nix`` comes from any branch, and what ci-eval prints of it (a source line, a
``throw`` message, an attribute name, a string value) lands in terminals, CI logs and
editors. Raw, a control character there is an attack or an accident: ``ESC ]0;…BEL`` sets
the window title, ``ESC [2J`` clears the screen, OSC 52 writes the clipboard, ``\\r``
rewrites a line already printed and ``\\n`` splits one gcc-format diagnostic into two; the
Unicode bidi overrides ("Trojan source") make a line read differently from what it holds.

`escape` shows each such character as a visible escape instead (a message's own escape
sequences are first dropped, as Nix drops them: `strip_escape_sequences`, `nix_log_line`).
Every renderer meant for people uses it (the human and gcc diagnostics, the text
description, ``--list``, the plan); JSON and SARIF escape control characters themselves,
and ``--eval`` prints values as ``nix-instantiate`` does.
"""

from __future__ import annotations

import functools
import re

# Escaped: C0 controls (tab only when asked), DEL, C1 controls, the bidi embeddings,
# overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the bidi marks (U+061C, U+200E,
# U+200F), the line and paragraph separators (U+2028, U+2029, line breaks to some
# programs), and the surrogate escapes U+DC80–U+DCFF that stand for bytes of a file that
# are not UTF-8 (printed raw they would be those bytes, C1 controls for some terminals).
_FORMATTING = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\udc80-\udcff"


@functools.cache
def _unsafe(tab: bool) -> re.Pattern[str]:
    """The characters `escape` shows as escapes (tab among them or not). Compiled when
    first needed, ~0.5 ms each for the Unicode ranges: printable ASCII, most of what is
    shown, is passed without them."""
    controls = "\x00-\x1f" if tab else "\x00-\x08\x0a-\x1f"
    return re.compile(f"[{controls}\x7f-\x9f{_FORMATTING}]")


_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def escape_char(char: str) -> str:
    """How one character is shown: ``\\n``, ``\\r``, ``\\t``; other C0 controls and DEL as
    ``\\x1b``; C1 controls and the Unicode formatting characters as ``\\u009b``, ``\\u202e``;
    a byte that is not UTF-8 as ``\\xff``; anything else as itself."""
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if _unsafe(False).match(char):
        return f"\\u{code:04x}"
    return char


def escape(text: str, *, tab: bool = True) -> str:
    """`text` with every character that could act on a terminal shown as an escape (see
    `escape_char`); with ``tab=False`` tabs stay (for text whose tabs are expanded)."""
    if text.isascii() and text.isprintable():  # no control character, tab or newline
        return text
    pattern = _unsafe(tab)
    if pattern.search(text) is None:
        return text
    return pattern.sub(lambda m: escape_char(m.group()), text)


# An escape sequence as Nix 2.8's filterANSIEscapes reads one: ESC [ parameters,
# intermediates and a final byte (colours: ``ESC [1;35m``), or ESC and one more byte.
_ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|[@-_]?)")


def strip_escape_sequences(text: str) -> str:
    """`text` without its terminal escape sequences, as Nix prints a message (a ``throw``,
    ``lib.warn``'s coloured "evaluation warning") when stderr is not a terminal."""
    return _ANSI_ESCAPE.sub("", text) if "\x1b" in text else text


def nix_log_line(text: str) -> str:
    """A line of Nix's log as Nix 2.8 writes it to a stderr that is not a terminal
    (filterANSIEscapes): escape sequences removed, ``\r`` dropped, each tab expanded to
    the next multiple of 8 columns, counted from the start of the whole text."""
    out: list[str] = []
    width = 0
    for char in strip_escape_sequences(text):
        if char == "\t":
            pad = 8 - width % 8
            out.append(" " * pad)
            width += pad
        elif char != "\r":
            out.append(char)
            width += 1
    return "".join(out)


def escape_message(text: str, *, lines: bool = False) -> str:
    """A message for people (a diagnostic's message, note or label; a ``trace``): its own
    escape sequences dropped, as Nix drops them (`strip_escape_sequences`), the rest
    `escape`d; with `lines`, its line breaks and tabs kept (`escape_lines`)."""
    if text.isascii() and text.isprintable():  # the commonest: nothing to drop or escape
        return text
    text = strip_escape_sequences(text)
    return escape_lines(text) if lines else escape(text)


def escape_lines(text: str) -> str:
    """`text` as `escape` shows it, but with its line breaks and tabs kept: a multi-line
    message (``lib.assertOneOf``'s, a ``trace``) shown to people as Nix shows it, with
    nothing in it that acts on the terminal beyond starting a line."""
    return "\n".join(escape(line, tab=False) for line in text.split("\n"))


def is_plain(text: str) -> bool:
    """Whether `escape` leaves `text` (with its tabs escaped) as it is."""
    return (text.isascii() and text.isprintable()) or _unsafe(True).search(text) is None


def display_line(text: str) -> str:
    """One line of a listing for people: `escape`d, tabs expanded to 4-column stops (as in
    source snippets), so that it is one line on the screen, whatever it holds."""
    return escape(text, tab=False).expandtabs(4)
