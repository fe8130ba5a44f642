"""JSON text read as ``builtins.fromJSON`` reads it in Nix 2.8: the same values, and on bad
input the same error text, word for word (that of the JSON library Nix 2.8 uses:
``[json.exception.parse_error.101] parse error at line 1, column 2: syntax error while
parsing object key - unexpected end of input; expected string literal``).

Valid input goes through the `json` module (fast, in C). Its error messages are not Nix's,
and it accepts two things Nix refuses (a lone UTF-16 surrogate escape, bytes that are not
UTF-8 inside a string) and refuses one Nix accepts (a leading byte order mark): on failure,
and for text that could hold those, `_Reader` reads the bytes the way Nix does. Its rules
were read off Nix 2.8's answers to bad input (tests/test_nix_json_errors.py compares them):

- The position is that of the last byte read, counted in bytes, a line break starting a
  new line at column 0; the end of the input counts as one more byte. A number is only
  known to end when the byte after it is read, and that byte is then given back: the
  position is again that of the number's last byte, except when the byte given back is a
  line break, which leaves the column at 0 on the number's line.
- "last read" shows every byte read since the start of the last string or number (or of
  the input), control characters as ``<U+000A>``.
- The context ("while parsing value", "object key", "object separator", "array",
  "object") is where the reader was; "expected …" says what it wanted there, except for a
  lexical error where a value was wanted.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["JsonError", "read_json"]


class JsonError(Exception):
    """Text that Nix's ``fromJSON`` refuses; the message is Nix's."""


def read_json(text: str) -> Any:
    """The value of JSON `text` (dicts, lists, str, int, float, bool, None), numbers as Nix
    reads them: integers that fit in 64 bits (signed or not) as int, others as float.
    Raises JsonError with Nix's message."""
    if _json_module_agrees(text):
        try:
            return json.loads(
                text, parse_float=_float_hook, parse_int=_int_hook, parse_constant=_refuse
            )
        except (ValueError, RecursionError, JsonError):
            pass  # the reader below finds Nix's error (or, for a byte order mark, the value)
    return _Reader(_bytes_of(text)).document()


# An escaped UTF-16 surrogate, `\ud800`, alone or in a pair.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _json_module_agrees(text: str) -> bool:
    """Whether the json module reads `text` as Nix does, if it reads it: unless it holds an
    escaped surrogate or a surrogate (a byte that is not UTF-8, kept as a surrogate
    escape). Both checks cost a fraction of reading the text."""
    if _SURROGATE_ESCAPE.search(text) is not None:
        return False
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def _bytes_of(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        # A surrogate that stands for no byte: it is not UTF-8 either way.
        return text.encode("utf-8", "surrogatepass")


def _number(text: str, integral: bool) -> int | float:
    """A number token's value: an integer within 64 bits (signed if negative, unsigned
    otherwise) as an int, any other number as the nearest double; beyond a double's range,
    Nix's "number overflow"."""
    if integral and len(text) <= 21:
        value = int(text)
        if -(1 << 63) <= value < (1 << 64):
            return value
    number = float(text)
    if math.isinf(number):
        raise JsonError(f"[json.exception.out_of_range.406] number overflow parsing '{text}'")
    return number


def _float_hook(text: str) -> int | float:
    number = float(text)
    return _number(text, False) if math.isinf(number) else number


def _int_hook(text: str) -> int | float:
    # Up to 18 digits, any integer fits in 64 bits.
    return int(text) if len(text) < 19 else _number(text, True)


def _refuse(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity: not JSON


# --- the reader -------------------------------------------------------------------------

# Tokens, by the name Nix's messages give them.
_END = "end of input"
_STRING = "string literal"
_NUMBER = "number literal"
_BEGIN_ARRAY, _END_ARRAY = "'['", "']'"
_BEGIN_OBJECT, _END_OBJECT = "'{'", "'}'"
_COLON, _COMMA = "':'", "','"
_TRUE, _FALSE, _NULL = "true literal", "false literal", "null literal"
_A_VALUE = "'[', '{', or a literal"

_PUNCTUATION = {
    ord("["): _BEGIN_ARRAY,
    ord("]"): _END_ARRAY,
    ord("{"): _BEGIN_OBJECT,
    ord("}"): _END_OBJECT,
    ord(":"): _COLON,
    ord(","): _COMMA,
}
_LITERALS = {ord("t"): (b"true", _TRUE), ord("f"): (b"false", _FALSE), ord("n"): (b"null", _NULL)}
_LITERAL_VALUES: dict[str, Any] = {_TRUE: True, _FALSE: False, _NULL: None}
_WHITESPACE = frozenset(b" \t\n\r")
_DIGITS = frozenset(b"0123456789")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_ESCAPES = {
    ord('"'): b'"',
    ord("\\"): b"\\",
    ord("/"): b"/",
    ord("b"): b"\b",
    ord("f"): b"\f",
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
}
# A run of bytes that stand for themselves in a string.
_PLAIN = re.compile(rb'[^"\\\x00-\x1f\x80-\xff]*')

# The names of the C0 control characters, U+0000 to U+001F.
_CONTROL_NAMES = [
    *("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL"),
    *("BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI"),
    *("DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB"),
    *("CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"),
]
_SHORT_ESCAPES = {0x08: "b", 0x09: "t", 0x0A: "n", 0x0C: "f", 0x0D: "r"}


def _control_message(byte: int) -> str:
    message = (
        f"invalid string: control character U+{byte:04X} ({_CONTROL_NAMES[byte]}) "
        f"must be escaped to \\u{byte:04X}"
    )
    short = _SHORT_ESCAPES.get(byte)
    return f"{message} or \\{short}" if short else message


def _utf8_continuations(lead: int) -> tuple[tuple[int, int], ...] | None:
    """The ranges of the bytes that must follow `lead` in UTF-8 (None: it cannot lead)."""
    tail = (0x80, 0xBF)
    if 0xC2 <= lead <= 0xDF:
        return (tail,)
    if lead == 0xE0:
        return ((0xA0, 0xBF), tail)
    if lead == 0xED:
        return ((0x80, 0x9F), tail)
    if 0xE1 <= lead <= 0xEF:
        return (tail, tail)
    if lead == 0xF0:
        return ((0x90, 0xBF), tail, tail)
    if 0xF1 <= lead <= 0xF3:
        return (tail, tail, tail)
    if lead == 0xF4:
        return ((0x80, 0x8F), tail, tail)
    return None


class _LexicalError(Exception):
    """A token that is not one: Nix's description, and the index of the byte it was found
    at (the length of the input for its end)."""

    def __init__(self, message: str, at: int) -> None:
        super().__init__(message)
        self.message = message
        self.at = at


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0  # the next byte to read
        self.token_start = 0  # where "last read" starts
        self.token = _END
        self.token_text = b""  # a string's bytes (decoded), a number's text
        self.integral = False
        self.error: _LexicalError | None = None

    # -- tokens --

    def advance(self) -> str:
        """Read the next token into `token` (`error` set for a lexical error)."""
        self.error = None
        try:
            self.token = self._scan()
        except _LexicalError as e:
            self.error = e
            self.token = "<parse error>"
        return self.token

    def _scan(self) -> str:
        data, n = self.data, len(self.data)
        if self.pos == 0 and n and data[0] == 0xEF:
            # A byte order mark is skipped, if it is one.
            for i, expected in ((1, 0xBB), (2, 0xBF)):
                if i >= n or data[i] != expected:
                    raise _LexicalError("invalid BOM; must be 0xEF 0xBB 0xBF if given", min(i, n))
            self.pos = 3
        pos = self.pos
        while pos < n and data[pos] in _WHITESPACE:
            pos += 1
        if pos >= n:
            self.pos = n + 1  # the end of the input was read
            return _END
        byte = data[pos]
        punctuation = _PUNCTUATION.get(byte)
        if punctuation is not None:
            self.pos = pos + 1
            return punctuation
        if byte == ord('"'):
            self.token_start = pos
            return self._string(pos)
        if byte == ord("-") or byte in _DIGITS:
            self.token_start = pos
            return self._number(pos)
        literal = _LITERALS.get(byte)
        if literal is not None:
            word, token = literal
            for i in range(1, len(word)):
                if pos + i >= n or data[pos + i] != word[i]:
                    raise _LexicalError("invalid literal", min(pos + i, n))
            self.pos = pos + len(word)
            return token
        raise _LexicalError("invalid literal", pos)

    def _string(self, start: int) -> str:
        data, n = self.data, len(self.data)
        out = bytearray()
        pos = start + 1
        while True:
            plain = _PLAIN.match(data, pos)
            assert plain is not None  # it matches the empty string
            out += plain.group()
            pos = plain.end()
            if pos >= n:
                raise _LexicalError("invalid string: missing closing quote", n)
            byte = data[pos]
            if byte == ord('"'):
                self.pos = pos + 1
                self.token_text = bytes(out)
                return _STRING
            if byte == ord("\\"):
                pos = self._escape(pos + 1, out)
            elif byte < 0x20:
                raise _LexicalError(_control_message(byte), pos)
            else:
                pos = self._utf8(pos, out)

    def _escape(self, pos: int, out: bytearray) -> int:
        """After a backslash at pos - 1: append what the escape stands for; the index
        after it."""
        data, n = self.data, len(self.data)
        byte = data[pos] if pos < n else -1
        simple = _ESCAPES.get(byte)
        if simple is not None:
            out += simple
            return pos + 1
        if byte != ord("u"):
            raise _LexicalError("invalid string: forbidden character after backslash", min(pos, n))
        code, pos = self._hex4(pos + 1)
        if 0xDC00 <= code <= 0xDFFF:
            raise _LexicalError(
                "invalid string: surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF", pos - 1
            )
        if 0xD800 <= code <= 0xDBFF:
            pair = "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF"
            for expected in b"\\u":
                if pos >= n or data[pos] != expected:
                    raise _LexicalError(pair, min(pos, n))
                pos += 1
            low, pos = self._hex4(pos)
            if not 0xDC00 <= low <= 0xDFFF:
                raise _LexicalError(pair, pos - 1)
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        out += chr(code).encode("utf-8")
        return pos

    def _hex4(self, pos: int) -> tuple[int, int]:
        data, n = self.data, len(self.data)
        for i in range(pos, pos + 4):
            if i >= n or data[i] not in _HEX:
                raise _LexicalError(
                    "invalid string: '\\u' must be followed by 4 hex digits", min(i, n)
                )
        return int(data[pos : pos + 4], 16), pos + 4

    def _utf8(self, pos: int, out: bytearray) -> int:
        data, n = self.data, len(self.data)
        ranges = _utf8_continuations(data[pos])
        if ranges is None:
            raise _LexicalError("invalid string: ill-formed UTF-8 byte", pos)
        for i, (low, high) in enumerate(ranges, start=pos + 1):
            if i >= n or not low <= data[i] <= high:
                raise _LexicalError("invalid string: ill-formed UTF-8 byte", min(i, n))
        end = pos + 1 + len(ranges)
        out += data[pos:end]
        return end

    def _number(self, start: int) -> str:
        data, n = self.data, len(self.data)
        pos = start

        def at(i: int) -> int:
            return data[i] if i < n else -1

        def digits(i: int, message: str) -> int:
            if at(i) not in _DIGITS:
                raise _LexicalError(f"invalid number; {message}", min(i, n))
            while at(i) in _DIGITS:
                i += 1
            return i

        if at(pos) == ord("-"):
            pos += 1
        if at(pos) == ord("0"):
            pos += 1
        else:
            pos = digits(pos, "expected digit after '-'")
        integral = True
        if at(pos) == ord("."):
            integral = False
            pos = digits(pos + 1, "expected digit after '.'")
        if at(pos) in (ord("e"), ord("E")):
            integral = False
            pos += 1
            if at(pos) in (ord("+"), ord("-")):
                pos = digits(pos + 1, "expected digit after exponent sign")
            else:
                pos = digits(pos, "expected '+', '-', or digit after exponent")
        self.pos = pos
        self.token_text = data[start:pos]
        self.integral = integral
        return _NUMBER

    # -- errors --

    def _position(self, consumed: int, newline_given_back: bool = False) -> str:
        """Where the reader is after `consumed` bytes were read (the end counts as one):
        ``line L, column C``."""
        data = self.data
        line = 1 + data.count(b"\n", 0, consumed)
        column = 0 if newline_given_back else consumed - (data.rfind(b"\n", 0, consumed) + 1)
        return f"line {line}, column {column}"

    def fail(self, context: str, expected: str | None) -> JsonError:
        """Nix's error for the current token, where `context` was being read and
        `expected` wanted."""
        error = self.error
        if error is not None:
            end = min(error.at + 1, len(self.data))
            shown = _show(self.data[self.token_start : end])
            detail = f"{error.message}; last read: '{shown}'"
            where = self._position(error.at + 1)
        else:
            detail = f"unexpected {self.token}"
            # After a number, the byte read to see that it ended was given back.
            where = self._position(
                self.pos,
                self.token == _NUMBER and self.pos < len(self.data) and self.data[self.pos] == 10,
            )
        if expected is not None:
            detail += f"; expected {expected}"
        return JsonError(
            f"[json.exception.parse_error.101] parse error at {where}: "
            f"syntax error while parsing {context} - {detail}"
        )

    # -- values --

    def document(self) -> Any:
        self.advance()
        value = self._value()
        if self.advance() != _END:
            raise self.fail("value", _END)
        return value

    def _key(self) -> str:
        """Read `"key" :` (the current token is the key); the token after is current."""
        if self.token != _STRING:
            raise self.fail("object key", _STRING)
        key = self.token_text.decode("utf-8")
        if self.advance() != _COLON:
            raise self.fail("object separator", _COLON)
        self.advance()
        return key

    def _value(self) -> Any:
        """The value that starts at the current token, its last token current. Iterative,
        for JSON nested as deep as memory allows (as in Nix)."""
        # The containers being read; for an object, the key of the value being read.
        stack: list[tuple[list[Any] | dict[str, Any], str]] = []
        while True:
            token = self.token
            value: Any
            if token == _BEGIN_ARRAY:
                if self.advance() != _END_ARRAY:
                    stack.append(([], ""))
                    continue
                value = []
            elif token == _BEGIN_OBJECT:
                if self.advance() != _END_OBJECT:
                    key = self._key()
                    stack.append(({}, key))
                    continue
                value = {}
            elif token == _STRING:
                value = self.token_text.decode("utf-8")
            elif token == _NUMBER:
                value = _number(self.token_text.decode("ascii"), self.integral)
            elif token in _LITERAL_VALUES:
                value = _LITERAL_VALUES[token]
            else:
                raise self.fail("value", None if self.error else _A_VALUE)
            # A value is read: it ends containers, or another value follows a comma.
            while stack:
                container, key = stack[-1]
                self.advance()
                if isinstance(container, list):
                    container.append(value)
                    if self.token == _COMMA:
                        self.advance()
                        break
                    if self.token != _END_ARRAY:
                        raise self.fail("array", _END_ARRAY)
                else:
                    container[key] = value
                    if self.token == _COMMA:
                        self.advance()
                        stack[-1] = (container, self._key())
                        break
                    if self.token != _END_OBJECT:
                        raise self.fail("object", _END_OBJECT)
                stack.pop()
                value = container
            else:
                return value


def _show(data: bytes) -> str:
    """Bytes read, as Nix's message shows them: control characters as ``<U+001B>``, other
    bytes as they are (a byte that is not UTF-8 kept as a surrogate escape)."""
    text = data.decode("utf-8", "surrogateescape")
    return re.sub("[\x00-\x1f]", lambda m: f"<U+{ord(m.group()):04X}>", text)
