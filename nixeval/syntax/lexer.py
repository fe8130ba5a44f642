"""The modal lexer: Nix 2.8's flex scanner (src/libexpr/lexer.l) rewritten by hand.

Flex picks the longest match among the rules active in the current start condition, and
the earliest rule on a tie. Nix's quirks all follow from that, and this lexer keeps them:
``x:x`` is a URI, ``a/b`` a path, ``1e3`` is ``1`` then ``e3``, ``a.b/c`` a path, ``$${``
in a string is literal text.

Modes (flex start conditions) live on a stack:

- EXPR: Nix code. ``{`` and ``${`` push EXPR, ``}`` pops (never below the bottom one).
- STRING / IND_STRING: inside ``"…"`` / ``''…''``; ``${`` pushes EXPR.
- INPATH / INPATH_SLASH: after a path that may continue with ``${…}`` or more path text;
  INPATH_SLASH is "the last thing was a ``/``", where anything but ``${`` is the
  "path has a trailing slash" error.

Token types are the terminal names of grammar/nix.lark: punctuation and keywords are
typed by their own text (``"{"``, ``"if"``), the rest by upper-case names (ID, INT, …); the
parser maps texts to the grammar's terminal names.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator

from ..records import Record
from .source import Source

# Value-carrying token types (the grammar %declare's them).
ID = "ID"
INT = "INT"
FLOAT = "FLOAT"
STR = "STR"  # literal text of a "…" string, or raw text inside a path
IND_STR = "IND_STR"  # a piece of a ''…'' string; value is an IndStr
PATH = "PATH"
HPATH = "HPATH"
SPATH = "SPATH"
URI = "URI"
PATH_END = "PATH_END"
IND_STRING_OPEN = "IND_STRING_OPEN"
IND_STRING_CLOSE = "IND_STRING_CLOSE"
EOF = "$END"  # the grammar's end-of-input terminal

KEYWORDS = frozenset(["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"])


class Token:
    """One token: its grammar type, its value, and its character range in the source.

    A plain class, not a dataclass: making a dataclass compiles its methods in every
    process (~0.8 ms), and a token needs none of them; nor a named tuple, whose instances
    take longer to make, and a large file has a million tokens."""

    __slots__ = ("end", "start", "type", "value")

    def __init__(self, type: str, value: object, start: int, end: int) -> None:
        self.type = type
        self.value = value
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r}, {self.start}, {self.end})"


class IndStr(Record):
    """A piece of an indented string; only raw text counts towards its indentation.

    Escapes (``''$``, ``'''``, ``''\\n``) and lone ``$``/``'`` are not raw text, exactly as in
    Nix, where they end the leading whitespace of a line without being measured.
    """

    text: str
    raw: bool


class LexError(Exception):
    """A token that cannot be formed; the parser turns it into a diagnostic."""

    def __init__(self, message: str, start: int, end: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end
        self.hint = hint


# --- the regular expressions of lexer.l ----------------------------------------------------

_PATH_CHARS = r"a-zA-Z0-9._\-+"
_PATH_CHAR = rf"[{_PATH_CHARS}]"
_ID = r"[a-zA-Z_][a-zA-Z0-9_'\-]*"
_RE_ID = re.compile(_ID)
_RE_INT = re.compile(r"[0-9]+")
_RE_FLOAT = re.compile(r"(?:(?:[1-9][0-9]*\.[0-9]*)|(?:0?\.[0-9]+))(?:[Ee][+-]?[0-9]+)?")
_RE_PATH = re.compile(rf"{_PATH_CHAR}*(?:/{_PATH_CHAR}+)+/?")
_RE_PATH_SEG_DOLLAR = re.compile(rf"{_PATH_CHAR}*/(?=\$\{{)")
_RE_HPATH = re.compile(rf"~(?:/{_PATH_CHAR}+)+/?")
_RE_HPATH_START_DOLLAR = re.compile(r"~/(?=\$\{)")
_RE_SPATH = re.compile(rf"<{_PATH_CHAR}+(?:/{_PATH_CHAR}+)*>")
_RE_URI = re.compile(r"[a-zA-Z][a-zA-Z0-9+\-.]*:[a-zA-Z0-9%/?:@&=+$,\-_.!~*']+")
# White space, line comments and block comments, any number of them.
_BLANKS = r"(?:[ \t\r\n]+|#[^\r\n]*|/\*(?:[^*]|\*+[^*/])*\*+/)*+"
# The text of a "…" string: lexer.l's ([^$"\\]|\$[^{"\\]|\\ANY|\$\\ANY)+, or the same ending
# in a '$' right before the closing '"'; a '\\' or '$\\' at the very end of the input too
# (the string is then unterminated).
_RE_STRING_TEXT = re.compile(r'(?:[^"\\$]+|\\[\s\S]?|\$\\[\s\S]?|\$[^{"\\]|\$(?="|\Z))++')
_RE_IND_OPEN = re.compile(r"''(?: *\n)?")
_RE_IND_TEXT = re.compile(r"(?:[^$']|\$[^{']|'[^'$])+")
_PATH_RUN = re.compile(rf"{_PATH_CHAR}*")
_SCHEME_RUN = re.compile(r"[a-zA-Z0-9+\-.]*")
_RE_INPATH = re.compile(rf"(?:{_PATH_CHAR}*(?:/{_PATH_CHAR}+)+/?)|(?:{_PATH_CHAR}*/)|{_PATH_CHAR}+")

# The commonest tokens of Nix code, after any white space and comments, in one match: where
# they stand, no other rule matches a longer text, so they need not be tried.
# - An identifier or keyword, unless the run of path characters after it goes on with '/'
#   or ':' (it may then be the start of a path, ``a.b/c``, or a URI, ``a.b:c``: a URI's
#   scheme and a path's first segment hold only identifier characters, '.' and '+'). The
#   run is looked at for 64 characters at most, so that ``a.a.a…`` stays linear: a longer
#   one takes the full rules, which remember where runs end.
# - An integer, unless a '.' follows (``1.5`` and ``1.`` are floats) or it starts a path.
# - Punctuation and operators that begin no longer token. Those made of path characters
#   ('.', '+', '-') only where no path starts with them (``.a/b``, ``++a/b``, ``-/a``); not
#   '<' (``<nixpkgs>``) nor '/' (``/etc``).
# - '{', '}' and '"', which change the mode; a whole "…" string in one piece when it holds
#   no escape, interpolation, '$' or carriage return (most strings): its text is its value.
_NOT_PATH_AFTER = rf"(?={_PATH_CHAR}{{0,64}}+(?:[^{_PATH_CHARS}/:]|\Z))"
_RE_COMMON = re.compile(
    _BLANKS
    + rf"(?:({_ID}+)"  # possessive (``*+``): a word does not give back characters
    + _NOT_PATH_AFTER
    + r"|([()\[\];:,?@*]|==|=|!=|!|<=|>=|>|&&|\|\||->|//"
    + r"|(?:\.(?=[a-zA-Z_])|\.\.\.|\+\+|\+|-)"
    + _NOT_PATH_AFTER
    + ")"
    + r"|([0-9]++)(?!\.)"
    + _NOT_PATH_AFTER
    + r'|(\{)|(\})|"([^"\\$\r]*+)"|(\"))?'
)
# _RE_COMMON's groups (the first two are the tokens `Lexer.tokens` makes itself).
_WORD, _PUNCTUATION_OR_OPERATOR, _INT, _OPEN_BRACE, _CLOSE_BRACE, _PLAIN_STRING, _QUOTE = range(
    1, 8
)
# A keyword's token type is its text; any other word is an ID.
_WORD_TYPES = {word: word for word in KEYWORDS}

# Two- and three-character operators, longest first; flex lists them before ID.
_OPERATORS = ("...", "==", "!=", "<=", ">=", "&&", "||", "->", "//", "++")
_OPERATORS_BY_CHAR = {c: tuple(op for op in _OPERATORS if op[0] == c) for c in ".=!<>&|-/+"}
_PUNCTUATION = frozenset("(){}[];:,.=?@+-*/<>!")

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}

# Modes.
EXPR, STRING, IND_STRING, INPATH, INPATH_SLASH = range(5)

_PATH_START_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+/")
_ID_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_DIGITS = frozenset("0123456789")


def unescape(text: str) -> str:
    """Nix's unescapeStr: ``\\n \\r \\t``, any other ``\\c`` is ``c``; CR and CRLF become LF."""
    if "\\" not in text and "\r" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            d = text[i + 1]
            out.append(_ESCAPES.get(d, d))
            i += 2
        elif c == "\r":
            out.append("\n")
            i += 2 if text.startswith("\n", i + 1) else 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


class Lexer:
    """Turns a `Source` into `Token`s, ending with one of type EOF."""

    def __init__(self, source: Source) -> None:
        # Nix's scanner runs on a C string: a NUL byte ends the input.
        self.text = source.text.partition("\0")[0]
        self.pos = 0
        self.modes: list[int] = [EXPR]
        # Where each open "…", ''…'' and ${ began: for "unterminated …" messages.
        self.openers: list[tuple[str, int]] = []
        self._runs: dict[re.Pattern[str], tuple[int, int]] = {}

    def tokens(self) -> Iterator[Token]:
        text = self.text
        n = len(text)
        modes = self.modes
        openers = self.openers
        common = _RE_COMMON.match
        word_types = _WORD_TYPES
        new = object.__new__
        while True:
            mode = modes[-1]
            if mode == EXPR:
                m = common(text, self.pos)
                group = m.lastindex  # type: ignore[union-attr]
                if group is None:  # none of the commonest: all the rules, from here
                    self.pos = m.end()  # type: ignore[union-attr]
                    tok = self._expr_token()
                    if tok is None:
                        break
                else:
                    start, end = m.span(group)  # type: ignore[union-attr]
                    self.pos = end
                    if group <= _PUNCTUATION_OR_OPERATOR:  # a word or punctuation
                        # The commonest tokens are made without calling the class: its
                        # __init__'s frame is a third of the cost of making one.
                        tok = new(Token)
                        tok.value = value = text[start:end]
                        tok.type = word_types.get(value, ID) if group == _WORD else value
                        tok.start = start
                        tok.end = end
                    elif group == _INT:
                        tok = self._finish_long(INT, start, end)
                    elif group == _PLAIN_STRING:
                        yield Token('"', '"', start - 1, start)
                        if end > start:
                            yield Token(STR, text[start:end], start, end)
                        self.pos = end + 1
                        tok = Token('"', '"', end, end + 1)
                    elif group == _OPEN_BRACE:
                        modes.append(EXPR)
                        openers.append(("{", start))
                        tok = Token("{", "{", start, end)
                    elif group == _CLOSE_BRACE:
                        if len(modes) > 1:
                            modes.pop()
                            if openers:
                                openers.pop()
                        tok = Token("}", "}", start, end)
                    else:  # _QUOTE
                        modes.append(STRING)
                        openers.append(('"', start))
                        tok = Token('"', '"', start, end)
            elif mode == STRING:
                tok = self._string_token()
            elif mode == IND_STRING:
                tok = self._ind_string_token()
            else:
                tok = self._path_token(mode)
            yield tok
        if len(modes) > 1 and self.openers:
            raise LexError(*_unterminated(*self._innermost_opener(), self.text))
        yield Token(EOF, None, n, n)

    # --- EXPR ------------------------------------------------------------------------------

    def _expr_token(self) -> Token | None:
        """The next token in Nix code, from past white space and comments (`tokens` has
        skipped them), or None at the end of the text."""
        text = self.text
        pos = self.pos
        if pos >= len(text):
            return None
        c = text[pos]
        # A '/*' left where white space and comments end never ends.
        if c == "/" and text.startswith("/*", pos):
            raise LexError(
                "unterminated comment", pos, pos + 2, "a '/*' comment must end with '*/'"
            )

        # Longest match among the rules that can start with c; earlier rule wins a tie.
        best_type, best_end = "", pos
        if c in _ID_START:
            m = _RE_ID.match(text, pos)
            assert m is not None
            word = m.group()
            best_type, best_end = (word if word in KEYWORDS else ID), m.end()
        elif c in _DIGITS:
            m = _RE_INT.match(text, pos)
            assert m is not None
            best_type, best_end = INT, m.end()
        if c in _DIGITS or c == ".":
            m = _RE_FLOAT.match(text, pos)
            if m is not None and m.end() > best_end:
                best_type, best_end = FLOAT, m.end()
        if c == "$" and text.startswith("${", pos):
            best_type, best_end = "${", pos + 2
        if c in _PATH_START_CHARS and self._run_followed_by(pos, _PATH_RUN, "/"):
            m = _RE_PATH_SEG_DOLLAR.match(text, pos)
            if m is not None and m.end() + 2 > best_end:
                return self._path_start(PATH, pos, m.end())
            m = _RE_PATH.match(text, pos)
            if m is not None and m.end() > best_end:
                best_type, best_end = PATH, m.end()
        elif c == "~":
            m = _RE_HPATH_START_DOLLAR.match(text, pos)
            if m is not None:
                return self._path_start(HPATH, pos, m.end())
            m = _RE_HPATH.match(text, pos)
            if m is not None:
                best_type, best_end = HPATH, m.end()
        elif c == "<":
            m = _RE_SPATH.match(text, pos)
            if m is not None:
                best_type, best_end = SPATH, m.end()
        if c.isascii() and c.isalpha() and self._run_followed_by(pos + 1, _SCHEME_RUN, ":"):
            m = _RE_URI.match(text, pos)
            if m is not None and m.end() > best_end:
                best_type, best_end = URI, m.end()

        if best_end > pos + 1 or (best_end == pos + 1 and best_type in (ID, INT, PATH)):
            return self._finish_long(best_type, pos, best_end)

        # Operators and single characters (all shorter than or tied with the above).
        for op in _OPERATORS_BY_CHAR.get(c, ()):
            if text.startswith(op, pos):
                if len(op) >= best_end - pos:
                    self.pos = pos + len(op)
                    return Token(op, op, pos, pos + len(op))
                break
        if best_end > pos:
            return self._finish_long(best_type, pos, best_end)
        # ('{', '}' and '"', which change the mode, never get here: `tokens` lexes them.)
        if c == "'" and text.startswith("''", pos):
            m = _RE_IND_OPEN.match(text, pos)
            assert m is not None
            self.modes.append(IND_STRING)
            self.openers.append(("''", pos))
            self.pos = m.end()
            return Token(IND_STRING_OPEN, None, pos, m.end())
        elif c not in _PUNCTUATION:
            raise _unexpected_char(text, pos)
        self.pos = pos + 1
        return Token(c, c, pos, pos + 1)

    def _run_followed_by(self, pos: int, run: re.Pattern[str], char: str) -> bool:
        return self.text.startswith(char, self._run_end(pos, run))

    def _run_end(self, pos: int, run: re.Pattern[str]) -> int:
        """Where the run of `run` characters containing `pos` ends. A path needs a '/' and a
        URI a ':' right after such a run; knowing where runs end (remembered per run) spares
        the full regexes a rescan of the run from every token in it (``a.b.b.b…``)."""
        start, end = self._runs.get(run, (-1, -1))
        if not start <= pos < end:
            m = run.match(self.text, pos)
            assert m is not None
            start, end = pos, m.end()
            self._runs[run] = (start, end)
        return end

    def _innermost_opener(self) -> tuple[str, int]:
        """What to blame at the end of the text: an open ``${`` before anything inside it,
        since a string left open inside ``${…}`` usually means the ``}`` is missing."""
        for what, at in reversed(self.openers):
            if what == "${":
                return what, at
        return self.openers[-1]

    def _finish_long(self, kind: str, start: int, end: int) -> Token:
        text = self.text
        self.pos = end
        value: object = text[start:end]
        if kind == "${":
            self.modes.append(EXPR)
            self.openers.append(("${", start))
        elif kind == INT:
            number = int(text[start:end])
            if number >= 1 << 63:
                raise LexError(f"invalid integer '{text[start:end]}'", start, end)
            value = number
        elif kind == FLOAT:
            value = _float(text[start:end], start, end)
        elif kind in (PATH, HPATH):
            # A path may go on with ${…}; one ending in '/' must.
            self.modes.append(INPATH_SLASH if text[end - 1] == "/" else INPATH)
        elif kind == SPATH:
            value = text[start + 1 : end - 1]
        return Token(kind, value, start, end)

    def _path_start(self, kind: str, start: int, end: int) -> Token:
        """``a/${`` or ``~/${``: the path text up to the slash, then INPATH_SLASH."""
        self.pos = end
        self.modes.append(INPATH_SLASH)
        return Token(kind, self.text[start:end], start, end)

    # --- paths ------------------------------------------------------------------------------

    def _path_token(self, mode: int) -> Token:
        text, pos = self.text, self.pos
        if text.startswith("${", pos):
            self.modes[-1] = INPATH
            self.modes.append(EXPR)
            self.openers.append(("${", pos))
            self.pos = pos + 2
            return Token("${", "${", pos, pos + 2)
        if mode == INPATH_SLASH:
            raise LexError(
                "path has a trailing slash",
                pos - 1,
                pos,
                "remove the final '/', or continue the path with ${…}",
            )
        m = _RE_INPATH.match(text, pos)
        if m is not None:
            self.modes[-1] = INPATH_SLASH if text[m.end() - 1] == "/" else INPATH
            self.pos = m.end()
            return Token(STR, m.group(), pos, m.end())
        # Anything else ends the path and is lexed again as code.
        self.modes.pop()
        return Token(PATH_END, None, pos, pos)

    # --- "…" strings ------------------------------------------------------------------------

    def _string_token(self) -> Token:
        text, pos = self.text, self.pos
        n = len(text)
        if pos >= n:
            raise LexError(*_unterminated(*self._innermost_opener(), text))
        c = text[pos]
        if c == '"':
            self.modes.pop()
            self.openers.pop()
            self.pos = pos + 1
            return Token('"', '"', pos, pos + 1)
        if c == "$" and text.startswith("${", pos):
            self.modes.append(EXPR)
            self.openers.append(("${", pos))
            self.pos = pos + 2
            return Token("${", "${", pos, pos + 2)
        i = _RE_STRING_TEXT.match(text, pos).end()  # type: ignore[union-attr]
        self.pos = i
        return Token(STR, unescape(text[pos:i]), pos, i)

    # --- ''…'' strings ------------------------------------------------------------------------

    def _ind_string_token(self) -> Token:
        text, pos = self.text, self.pos
        n = len(text)
        if pos >= n:
            raise LexError(*_unterminated(*self._innermost_opener(), text))
        c = text[pos]
        if c == "'" and text.startswith("''", pos):
            d = text[pos + 2] if pos + 2 < n else ""
            if d == "'":
                return self._ind(pos, pos + 3, "''", raw=False)
            if d == "$":
                return self._ind(pos, pos + 3, "$", raw=False)
            # (''\ at the very end: flex falls back to '' (close), then \ as code.)
            if d == "\\" and pos + 3 < n:
                return self._ind(pos, pos + 4, unescape(text[pos + 2 : pos + 4]), raw=False)
            self.modes.pop()
            self.openers.pop()
            self.pos = pos + 2
            return Token(IND_STRING_CLOSE, None, pos, pos + 2)
        if c == "$" and text.startswith("${", pos):
            self.modes.append(EXPR)
            self.openers.append(("${", pos))
            self.pos = pos + 2
            return Token("${", "${", pos, pos + 2)
        m = _RE_IND_TEXT.match(text, pos)
        if m is not None:
            return self._ind(pos, m.end(), m.group(), raw=True)
        # A lone '$' or "'" (at the end, or before something that makes it one).
        return self._ind(pos, pos + 1, c, raw=False)

    def _ind(self, start: int, end: int, value: str, raw: bool) -> Token:
        self.pos = end
        return Token(IND_STR, IndStr(value, raw), start, end)


def _float(literal: str, start: int, end: int) -> float:
    """strtod's value; like Nix, reject what strtod flags ERANGE: overflow, and underflow
    to zero or below the smallest normal double."""
    value = float(literal)
    mantissa = literal.lower().partition("e")[0]
    underflow = abs(value) < sys.float_info.min and any(c in "123456789" for c in mantissa)
    if math.isinf(value) or underflow:
        raise LexError(f"invalid float '{literal}'", start, end)
    return value


def _unterminated(what: str, at: int, text: str) -> tuple[str, int, int, str]:
    if what == '"':
        return ("unterminated string", at, at + 1, "this string has no closing '\"'")
    if what == "''":
        return ("unterminated indented string", at, at + 2, "this string has no closing \"''\"")
    if what == "${":
        return ("unclosed '${'", at, at + 2, "this '${' has no matching '}'")
    return ("unclosed '{'", at, at + 1, "this '{' has no matching '}'")


def _unexpected_char(text: str, pos: int) -> LexError:
    c = text[pos]
    if 0xDC80 <= ord(c) <= 0xDCFF:  # a byte that is not UTF-8, kept as a surrogate escape
        shown = f"\\x{ord(c) - 0xDC00:02x}"
    else:
        shown = c if c.isprintable() else f"\\u{ord(c):04x}"
    quote = '"' if c == "'" else "'"
    hint = None
    if c == "'":
        hint = "indented strings start with two single quotes: ''…''"
    elif c == "$":
        hint = "interpolation is written ${…}"
    elif c in "&|":
        hint = f"the operator is '{c}{c}'"
    return LexError(f"unexpected character {quote}{shown}{quote}", pos, pos + 1, hint)


def tokenize(source: Source) -> Iterator[Token]:
    """All tokens of `source`, ending with EOF; raises LexError on the first bad one."""
    return Lexer(source).tokens()
