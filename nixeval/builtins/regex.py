"""Regular expressions: builtins.match and builtins.split (Nix's prim_match, prim_split).

Nix 2.8 compiles the pattern with ``std::regex(re, std::regex::extended)`` from libstdc++
(GCC 12, built with ``-std=c++17``, so ``__STRICT_ANSI__`` is defined) and runs
``std::regex_match`` / ``std::sregex_iterator``. That engine is not a POSIX
leftmost-longest matcher: it is a backtracking search over an NFA which, at an
alternation, tries *both* branches and keeps the solution that ends furthest (the first
one found on a tie), while at a repetition it stops at the first solution. Python's `re`
is leftmost-first, so this module contains:

* `_Compiler`: a port of libstdc++'s ``_Scanner`` + ``_Compiler`` (extended grammar):
  the same syntax errors, the same NFA (so the same "too many states" limit), and, in
  parallel, an equivalent Python `re` pattern on bytes;
* `_Executor`: a port of libstdc++'s depth-first ``_Executor`` (POSIX flavour);
* `_search_all`: a port of ``regex_iterator::operator++`` (empty matches).

Python's `re` is used where it provably finds the same match (no repetition of something
that can match empty, and, when searching, no alternation); the port is used otherwise.
Everything works on bytes (UTF-8, surrogate escapes kept), as std::regex works on chars:
``.`` matches one byte of a multi-byte character.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from .registry import builtin

if TYPE_CHECKING:
    from ..eval.machine import Machine

# _GLIBCXX_REGEX_STATE_LIMIT: compiling more NFA states is ``error_space``.
_STATE_LIMIT = 100000

# NFA opcodes (libstdc++ ``_Opcode``).
_ALT, _REPEAT, _SUB_BEGIN, _SUB_END, _BOL, _EOL, _MATCH, _ACCEPT, _DUMMY = range(9)

# match_flag_type bits that matter to the executor.
_NOT_NULL, _CONTINUOUS, _PREV_AVAIL = 1, 2, 4


class _RegexError(Exception):
    """std::regex_error; `space` is ``error_space`` (the NFA state limit)."""

    def __init__(self, space: bool = False) -> None:
        super().__init__()
        self.space = space


# --- character classes (ctype<char> of the "C" locale) ------------------------------------


def _set(chars: str) -> frozenset[int]:
    return frozenset(ord(c) for c in chars)


_UPPER = _set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = _set("abcdefghijklmnopqrstuvwxyz")
_DIGIT = _set("0123456789")
_ALPHA = _UPPER | _LOWER
_ALNUM = _ALPHA | _DIGIT
_SPACE = _set(" \t\n\v\f\r")
_GRAPH = frozenset(range(0x21, 0x7F))
_CLASSES: dict[str, frozenset[int]] = {
    # regex_traits<char>::lookup_classname, which also knows "d", "w" and "s".
    "d": _DIGIT,
    "w": _ALNUM | {ord("_")},
    "s": _SPACE,
    "alnum": _ALNUM,
    "alpha": _ALPHA,
    "blank": _set(" \t"),
    "cntrl": frozenset([*range(0x20), 0x7F]),
    "digit": _DIGIT,
    "graph": _GRAPH,
    "lower": _LOWER,
    "print": _GRAPH | {0x20},
    "punct": _GRAPH - _ALNUM,
    "space": _SPACE,
    "upper": _UPPER,
    "xdigit": _DIGIT | _set("abcdefABCDEF"),
}

# regex_traits<char>::lookup_collatename's table: the name of each character 0..127.
_COLLATE_NAMES = [
    "NUL",
    "SOH",
    "STX",
    "ETX",
    "EOT",
    "ENQ",
    "ACK",
    "alert",
    "backspace",
    "tab",
    "newline",
    "vertical-tab",
    "form-feed",
    "carriage-return",
    "SO",
    "SI",
    "DLE",
    "DC1",
    "DC2",
    "DC3",
    "DC4",
    "NAK",
    "SYN",
    "ETB",
    "CAN",
    "EM",
    "SUB",
    "ESC",
    "IS4",
    "IS3",
    "IS2",
    "IS1",
    "space",
    "exclamation-mark",
    "quotation-mark",
    "number-sign",
    "dollar-sign",
    "percent-sign",
    "ampersand",
    "apostrophe",
    "left-parenthesis",
    "right-parenthesis",
    "asterisk",
    "plus-sign",
    "comma",
    "hyphen",
    "period",
    "slash",
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "colon",
    "semicolon",
    "less-than-sign",
    "equals-sign",
    "greater-than-sign",
    "question-mark",
    "commercial-at",
    "A",
    "B",
    "C",
    "D",
    "E",
    "F",
    "G",
    "H",
    "I",
    "J",
    "K",
    "L",
    "M",
    "N",
    "O",
    "P",
    "Q",
    "R",
    "S",
    "T",
    "U",
    "V",
    "W",
    "X",
    "Y",
    "Z",
    "left-square-bracket",
    "backslash",
    "right-square-bracket",
    "circumflex",
    "underscore",
    "grave-accent",
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "v",
    "w",
    "x",
    "y",
    "z",
    "left-curly-bracket",
    "vertical-line",
    "right-curly-bracket",
    "tilde",
    "DEL",
]
_COLLATE = {name: code for code, name in enumerate(_COLLATE_NAMES)}


def _signed(c: int) -> int:
    # char is signed on x86-64: ranges compare bytes >= 0x80 as negative numbers.
    return c - 256 if c >= 128 else c


def _lower(c: int) -> int:
    return c + 32 if c in _UPPER else c


# --- scanner (libstdc++ _Scanner, extended grammar) ---------------------------------------

# Tokens.
(
    _T_EOF,
    _T_ORD,
    _T_ANY,
    _T_STAR,
    _T_PLUS,
    _T_OPT,
    _T_OR,
    _T_BOL,
    _T_EOL,
    _T_SUB_BEGIN,
    _T_SUB_END,
    _T_BRACKET,
    _T_BRACKET_NEG,
    _T_BRACKET_END,
    _T_BRACKET_DASH,
    _T_COLLSYM,
    _T_EQUIV,
    _T_CLASS,
    _T_INTERVAL,
    _T_INTERVAL_END,
    _T_COUNT,
    _T_COMMA,
) = range(22)

_SPECIAL = b".[\\()*+?{|^$"  # _M_extended_spec_char
_SIMPLE_TOKENS = {
    ord("^"): _T_BOL,
    ord("$"): _T_EOL,
    ord("."): _T_ANY,
    ord("*"): _T_STAR,
    ord("+"): _T_PLUS,
    ord("?"): _T_OPT,
    ord("|"): _T_OR,
}
_NORMAL, _IN_BRACKET, _IN_BRACE = range(3)


class _Scanner:
    def __init__(self, pattern: bytes) -> None:
        self.p = pattern
        self.pos = 0
        self.state = _NORMAL
        self.at_bracket_start = False
        self.token = _T_EOF
        self.value = b""
        self.advance()

    def advance(self) -> None:
        if self.pos >= len(self.p):
            self.token = _T_EOF
        elif self.state == _NORMAL:
            self._scan_normal()
        elif self.state == _IN_BRACKET:
            self._scan_in_bracket()
        else:
            self._scan_in_brace()

    def _scan_normal(self) -> None:
        p = self.p
        c = p[self.pos]
        self.pos += 1
        if c not in _SPECIAL:
            self.token, self.value = _T_ORD, bytes([c])
            return
        if c == ord("\\"):
            if self.pos >= len(p):
                raise _RegexError()
            c = p[self.pos]
            self.pos += 1
            # _M_eat_escape_posix: only the special characters may be escaped; with
            # __STRICT_ANSI__ escaping anything else (``\]``, ``\d``, ``\1``) is an error.
            if c not in _SPECIAL:
                raise _RegexError()
            self.token, self.value = _T_ORD, bytes([c])
        elif c == ord("("):
            self.token = _T_SUB_BEGIN
        elif c == ord(")"):
            self.token = _T_SUB_END
        elif c == ord("["):
            self.state = _IN_BRACKET
            self.at_bracket_start = True
            if self.pos < len(p) and p[self.pos] == ord("^"):
                self.token = _T_BRACKET_NEG
                self.pos += 1
            else:
                self.token = _T_BRACKET
        elif c == ord("{"):
            self.state = _IN_BRACE
            self.token = _T_INTERVAL
        else:
            self.token = _SIMPLE_TOKENS[c]

    def _scan_in_bracket(self) -> None:
        p = self.p
        c = p[self.pos]
        self.pos += 1
        if c == ord("-"):
            self.token = _T_BRACKET_DASH
        elif c == ord("["):
            if self.pos >= len(p):
                raise _RegexError()
            kind = p[self.pos]
            if kind in b".:=":
                self.pos += 1
                self.token = {ord("."): _T_COLLSYM, ord(":"): _T_CLASS, ord("="): _T_EQUIV}[kind]
                self._eat_class(kind)
            else:
                self.token, self.value = _T_ORD, b"["
        elif c == ord("]") and not self.at_bracket_start:
            # "[]a]" and "[^]a]": a ']' first in the bracket is an ordinary character.
            self.token = _T_BRACKET_END
            self.state = _NORMAL
        else:
            # In POSIX grammars a backslash in a bracket is an ordinary character.
            self.token, self.value = _T_ORD, bytes([c])
        self.at_bracket_start = False

    def _eat_class(self, kind: int) -> None:
        p = self.p
        end = self.pos
        while end < len(p) and p[end] != kind:
            end += 1
        self.value = p[self.pos : end]
        if end + 1 >= len(p) or p[end + 1] != ord("]"):
            raise _RegexError()
        self.pos = end + 2

    def _scan_in_brace(self) -> None:
        p = self.p
        c = p[self.pos]
        self.pos += 1
        if c in _DIGIT:
            start = self.pos - 1
            while self.pos < len(p) and p[self.pos] in _DIGIT:
                self.pos += 1
            self.token, self.value = _T_COUNT, p[start : self.pos]
        elif c == ord(","):
            self.token = _T_COMMA
        elif c == ord("}"):
            self.state = _NORMAL
            self.token = _T_INTERVAL_END
        else:
            raise _RegexError()


# --- compiler (libstdc++ _Compiler) ----------------------------------------------------


class _Frag:
    """A _StateSeq (start and end state) and, in parallel, the same thing as Python `re`
    text; `nullable` says whether it can match the empty string."""

    __slots__ = ("end", "nullable", "py", "start")

    def __init__(self, start: int, end: int, py: str, nullable: bool) -> None:
        self.start = start
        self.end = end
        self.py = py
        self.nullable = nullable


class _Compiler:
    def __init__(self, pattern: bytes) -> None:
        self.sc = _Scanner(pattern)
        # Each state is [opcode, next, alt, data]; data is a subexpression number or, for
        # _MATCH, the set of bytes matched.
        self.nfa: list[list[Any]] = []
        self.stack: list[_Frag] = []
        self.groups = 0
        self.has_alt = False
        self.nullable_repeat = False
        first = self._insert(_SUB_BEGIN, data=self._new_group())
        self._disjunction()
        if not self._match(_T_EOF):
            raise _RegexError()
        body = self.stack.pop()
        self.nfa[first][1] = body.start
        last = self._insert(_SUB_END, data=0)
        self.nfa[body.end][1] = last
        self.nfa[last][1] = self._insert(_ACCEPT)
        self.start = first
        self.python = body.py

    def _new_group(self) -> int:
        n = self.groups
        self.groups += 1
        return n

    def _insert(self, op: int, next_: int = -1, alt: int = -1, data: Any = None) -> int:
        self.nfa.append([op, next_, alt, data])
        if len(self.nfa) > _STATE_LIMIT:
            raise _RegexError(space=True)
        return len(self.nfa) - 1

    def _append(self, frag: _Frag, state: int) -> None:
        self.nfa[frag.end][1] = state
        frag.end = state

    def _append_frag(self, frag: _Frag, other: _Frag) -> None:
        self.nfa[frag.end][1] = other.start
        frag.end = other.end

    def _match(self, token: int) -> bool:
        if self.sc.token == token:
            self.sc.advance()
            return True
        return False

    def _disjunction(self) -> None:
        self._alternative()
        while self._match(_T_OR):
            self.has_alt = True
            alt1 = self.stack.pop()
            self._alternative()
            alt2 = self.stack.pop()
            end = self._insert(_DUMMY)
            self._append(alt1, end)
            self._append(alt2, end)
            # _M_alt (tried first) is the left branch.
            start = self._insert(_ALT, next_=alt2.start, alt=alt1.start)
            py = f"{alt1.py}|{alt2.py}"
            self.stack.append(_Frag(start, end, py, alt1.nullable or alt2.nullable))

    def _alternative(self) -> None:
        if self._term():
            frag = self.stack.pop()
            self._alternative()
            rest = self.stack.pop()
            self._append_frag(frag, rest)
            frag.py += rest.py
            frag.nullable = frag.nullable and rest.nullable
            self.stack.append(frag)
        else:
            s = self._insert(_DUMMY)
            self.stack.append(_Frag(s, s, "", True))

    def _term(self) -> bool:
        if self._match(_T_BOL):
            s = self._insert(_BOL)
            self.stack.append(_Frag(s, s, r"\A", True))
            return True
        if self._match(_T_EOL):
            s = self._insert(_EOL)
            self.stack.append(_Frag(s, s, r"\Z", True))
            return True
        if not self._atom():
            return False
        while self._quantifier():
            pass
        return True

    def _push_matcher(self, chars: frozenset[int]) -> None:
        s = self._insert(_MATCH, data=chars)
        self.stack.append(_Frag(s, s, _py_class(chars), False))

    def _atom(self) -> bool:
        sc = self.sc
        if self._match(_T_ANY):
            # _AnyMatcher for POSIX: any char but NUL.
            self._push_matcher(frozenset(range(1, 256)))
        elif sc.token == _T_ORD:
            c = sc.value[0]
            sc.advance()
            self._push_matcher(frozenset([c]))
        elif self._match(_T_SUB_BEGIN):
            group = self._new_group()
            begin = self._insert(_SUB_BEGIN, data=group)
            self._disjunction()
            if not self._match(_T_SUB_END):
                raise _RegexError()
            body = self.stack.pop()
            frag = _Frag(begin, begin, f"({body.py})", body.nullable)
            self._append_frag(frag, body)
            self._append(frag, self._insert(_SUB_END, data=group))
            self.stack.append(frag)
        elif sc.token in (_T_BRACKET, _T_BRACKET_NEG):
            negate = sc.token == _T_BRACKET_NEG
            sc.advance()
            chars = self._bracket()
            self._push_matcher(frozenset(range(256)) - chars if negate else chars)
        else:
            return False
        return True

    # _M_insert_bracket_matcher / _M_expression_term (GCC 12): the set of bytes matched.
    def _bracket(self) -> frozenset[int]:
        sc = self.sc
        chars: set[int] = set()
        # The pending character (`last`), or "a class was last" (`last_class`).
        last: int | None = None
        last_class = False

        def push_char(c: int) -> None:
            nonlocal last, last_class
            if last is not None:
                chars.add(last)
            last, last_class = c, False

        def push_class() -> None:
            nonlocal last, last_class
            if last is not None:
                chars.add(last)
            last, last_class = None, True

        def make_range(lo: int, hi: int) -> None:
            nonlocal last
            if _signed(lo) > _signed(hi):
                raise _RegexError()
            chars.update(c for c in range(256) if _signed(lo) <= _signed(c) <= _signed(hi))
            last = None

        if sc.token == _T_ORD:
            last = sc.value[0]
            sc.advance()
        elif self._match(_T_BRACKET_DASH):
            last = ord("-")
        while True:
            if self._match(_T_BRACKET_END):
                break
            if sc.token == _T_COLLSYM:
                code = _collate(sc.value)
                sc.advance()
                chars.add(code)
                push_char(code)
            elif sc.token == _T_EQUIV:
                code = _collate(sc.value)
                sc.advance()
                push_class()
                # transform_primary lowercases: [[=a=]] matches 'a' and 'A'.
                chars.update(c for c in range(256) if _lower(c) == _lower(code))
            elif sc.token == _T_CLASS:
                name = sc.value.decode("latin-1").lower()
                sc.advance()
                if name not in _CLASSES:
                    raise _RegexError()
                push_class()
                chars.update(_CLASSES[name])
            elif sc.token == _T_ORD:
                c = sc.value[0]
                sc.advance()
                push_char(c)
            elif self._match(_T_BRACKET_DASH):
                if self._match(_T_BRACKET_END):
                    push_char(ord("-"))  # "-]": a literal dash
                    break
                if last_class or last is None:
                    # "[[:alpha:]-z]", or a dash after a range ("[a-z--0]").
                    raise _RegexError()
                if sc.token == _T_ORD:
                    hi = sc.value[0]
                    sc.advance()
                    make_range(last, hi)
                elif self._match(_T_BRACKET_DASH):
                    make_range(last, ord("-"))
                else:
                    raise _RegexError()
            else:
                raise _RegexError()
        if last is not None:
            chars.add(last)
        return frozenset(chars)

    def _quantifier(self) -> bool:
        if self._match(_T_STAR):
            body = self.stack.pop()
            self._note_repeat(body)
            rep = self._insert(_REPEAT, alt=body.start)
            self._append(body, rep)
            self.stack.append(_Frag(rep, rep, f"(?:{body.py})*", True))
        elif self._match(_T_PLUS):
            body = self.stack.pop()
            self._note_repeat(body)
            self._append(body, self._insert(_REPEAT, alt=body.start))
            self.stack.append(_Frag(body.start, body.end, f"(?:{body.py})+", body.nullable))
        elif self._match(_T_OPT):
            body = self.stack.pop()
            self._note_repeat(body)
            end = self._insert(_DUMMY)
            rep = self._insert(_REPEAT, alt=body.start)
            self._append(body, end)
            self.nfa[rep][1] = end
            self.stack.append(_Frag(rep, end, f"(?:{body.py})?", True))
        elif self._match(_T_INTERVAL):
            self._interval()
        else:
            return False
        return True

    def _note_repeat(self, body: _Frag) -> None:
        # Repeating something that can match empty: libstdc++ limits such loops with its
        # own visit counter (_M_rep_once_more), which Python's re does not mimic.
        if body.nullable:
            self.nullable_repeat = True

    def _interval(self) -> None:
        sc = self.sc
        if sc.token != _T_COUNT:
            raise _RegexError()
        low = _int_value(sc.value)
        sc.advance()
        body = self.stack.pop()
        self._note_repeat(body)
        head = self._insert(_DUMMY)
        frag = _Frag(head, head, "", True)
        infinite = False
        extra = 0
        if self._match(_T_COMMA):
            if sc.token == _T_COUNT:
                extra = _int_value(sc.value) - low
                sc.advance()
            else:
                infinite = True
        if not self._match(_T_INTERVAL_END):
            raise _RegexError()
        for _ in range(low):
            self._append_frag(frag, self._clone(body))
        # The minimum is a C int: a huge count wraps (to a negative, i.e. zero, repeat).
        # Python gets one repeat (a group must appear once), found in the same order.
        low = max(low, 0)
        if infinite:
            copy = self._clone(body)
            rep = self._insert(_REPEAT, alt=copy.start)
            self._append(copy, rep)
            self._append(frag, rep)
            py = f"(?:{body.py}){{{low},}}"
        else:
            if extra < 0:
                raise _RegexError()
            end = self._insert(_DUMMY)
            for _ in range(extra):
                copy = self._clone(body)
                # "more" is _M_alt, "less" (skip the remaining copies) is _M_next.
                rep = self._insert(_REPEAT, next_=end, alt=copy.start)
                self._append(frag, rep)
                frag.end = copy.end
            self._append(frag, end)
            py = f"(?:{body.py}){{{low},{low + extra}}}"
        frag.py = py
        frag.nullable = body.nullable or low <= 0
        self.stack.append(frag)

    def _clone(self, frag: _Frag) -> _Frag:
        """_StateSeq::_M_clone: copy the states reachable from start up to end."""
        mapping: dict[int, int] = {}
        todo = [frag.start]
        while todo:
            u = todo.pop()
            if u in mapping:
                continue
            state = self.nfa[u]
            mapping[u] = self._insert(*state)
            if state[0] in (_ALT, _REPEAT) and state[2] >= 0 and state[2] not in mapping:
                todo.append(state[2])
            if u != frag.end and state[1] >= 0 and state[1] not in mapping:
                todo.append(state[1])
        for old, new in mapping.items():
            state = self.nfa[new]
            if state[1] in mapping:
                state[1] = mapping[state[1]]
            if state[0] in (_ALT, _REPEAT) and state[2] in mapping:
                state[2] = mapping[state[2]]
            if old == frag.end:
                state[1] = -1
        return _Frag(mapping[frag.start], mapping[frag.end], frag.py, frag.nullable)


def _int_value(digits: bytes) -> int:
    # _M_cur_int_value accumulates in an int, which wraps around.
    v = 0
    for d in digits:
        v = (v * 10 + d - 48) & 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


def _collate(name: bytes) -> int:
    code = _COLLATE.get(name.decode("latin-1"))
    if code is None:
        raise _RegexError()
    return code


def _py_class(chars: frozenset[int]) -> str:
    if not chars:
        return "(?!)"
    if len(chars) == 1:
        return f"\\x{next(iter(chars)):02x}"
    parts: list[str] = []
    codes = sorted(chars)
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        parts.append(f"\\x{codes[i]:02x}" if i == j else f"\\x{codes[i]:02x}-\\x{codes[j]:02x}")
        i = j + 1
    return "[" + "".join(parts) + "]"


# --- executor (libstdc++ _Executor, depth-first, POSIX) ---------------------------------


class _Executor:
    """One regex_match / regex_search call on subject[begin:]."""

    def __init__(self, rx: _Regex, subject: bytes, begin: int, flags: int) -> None:
        self.nfa = rx.nfa
        self.s = subject
        self.begin = begin
        self.end = len(subject)
        self.flags = flags
        self.exact = False
        self.cur = 0
        self.groups: list[tuple[int, int] | None] = [None] * rx.groups
        self.starts: list[int] = [-1] * rx.groups
        self.results: list[tuple[int, int] | None] | None = None
        self.has_sol = False
        self.sol_pos = -1
        self.rep_count: dict[int, tuple[int, int]] = {}

    def match(self) -> list[tuple[int, int] | None] | None:
        self.exact = True
        return self._main(self.begin)

    def search(self) -> list[tuple[int, int] | None] | None:
        found = self._main(self.begin)
        if found is not None or self.flags & _CONTINUOUS:
            return found
        self.flags |= _PREV_AVAIL
        start = self.begin
        while start != self.end:
            start += 1
            self.begin = start
            found = self._main(start)
            if found is not None:
                return found
        return None

    def _main(self, start: int) -> list[tuple[int, int] | None] | None:
        self.has_sol = False
        self.sol_pos = -1
        self.results = None
        self.cur = start
        self._dfs(0)
        return self.results if self.has_sol else None

    def _at_begin(self) -> bool:
        return self.cur == self.begin and not self.flags & _PREV_AVAIL

    def _dfs(self, i: int) -> None:
        nfa = self.nfa
        while True:
            op, nxt, alt, data = nfa[i]
            if op == _MATCH:
                # Consume characters iteratively while the path is a simple chain.
                if self.cur == self.end or self.s[self.cur] not in data:
                    return
                self.cur += 1
                self._dfs(nxt)
                self.cur -= 1
                return
            if op == _DUMMY:
                i = nxt
                continue
            if op == _SUB_BEGIN:
                back = self.starts[data]
                self.starts[data] = self.cur
                self._dfs(nxt)
                self.starts[data] = back
                return
            if op == _SUB_END:
                saved = self.groups[data]
                self.groups[data] = (self.starts[data], self.cur)
                self._dfs(nxt)
                self.groups[data] = saved
                return
            if op == _BOL:
                if not self._at_begin():
                    return
                i = nxt
                continue
            if op == _EOL:
                if self.cur != self.end:
                    return
                i = nxt
                continue
            if op == _REPEAT:
                self._rep_once_more(i, alt)
                # Greedy, depth first: a solution found going round again ends it.
                if not self.has_sol:
                    self._dfs(nxt)
                return
            if op == _ALT:
                # POSIX flavour: try both branches; _accept keeps the longer solution.
                self._dfs(alt)
                has_sol = self.has_sol
                self.has_sol = False
                self._dfs(nxt)
                self.has_sol = self.has_sol or has_sol
                return
            if op == _ACCEPT:
                self._accept()
                return
            raise AssertionError(op)

    def _rep_once_more(self, i: int, alt: int) -> None:
        # Going round a loop without consuming input is allowed twice (once more for a
        # group capture), then refused, as libstdc++ does to stop infinite loops.
        count = self.rep_count.get(i, (-1, 0))
        if count[1] == 0 or count[0] != self.cur:
            self.rep_count[i] = (self.cur, 1)
            self._dfs(alt)
            self.rep_count[i] = count
        elif count[1] < 2:
            self.rep_count[i] = (count[0], count[1] + 1)
            self._dfs(alt)
            self.rep_count[i] = count

    def _accept(self) -> None:
        has_sol = self.cur == self.end if self.exact else True
        if self.cur == self.begin and self.flags & _NOT_NULL:
            has_sol = False
        self.has_sol = has_sol
        if has_sol and (self.sol_pos < 0 or self.sol_pos < self.cur):
            self.sol_pos = self.cur
            self.results = list(self.groups)


# --- compiled regexes -----------------------------------------------------------------


class _Regex:
    def __init__(self, pattern: bytes) -> None:
        c = _Compiler(pattern)
        self.nfa = c.nfa
        self.groups = c.groups
        # Python's re finds the same match when no loop can go round empty; and for a
        # search also only without alternation (libstdc++ prefers the longer branch).
        self.py_match = None if c.nullable_repeat else re.compile(c.python.encode(), re.S)
        self.py_search = None if c.has_alt else self.py_match

    def match(self, s: bytes, native: bool = True) -> list[tuple[int, int] | None] | None:
        """The match of the whole of `s`. Without `native`, never Python's re (see
        `_search_all`)."""
        if native and self.py_match is not None:
            m = self.py_match.fullmatch(s)
            return None if m is None else _spans(m, self.groups)
        return _Executor(self, s, 0, 0).match()

    def search(
        self, s: bytes, start: int, flags: int, native: bool = True
    ) -> list[tuple[int, int] | None] | None:
        if native and self.py_search is not None and not flags & _NOT_NULL:
            # Python's "^" matches at the string's start only, which is libstdc++'s "^"
            # with match_prev_avail after the first position (the only way it is used
            # here: searches from later positions always set it).
            if flags & _CONTINUOUS:
                m = self.py_search.match(s, start)
            else:
                m = self.py_search.search(s, start)
            return None if m is None else _spans(m, self.groups)
        if native and self.py_search is not None and flags & _CONTINUOUS:
            m = self.py_search.match(s, start)
            if m is not None and m.end() > start:
                # The first solution in depth-first order is not empty: it is the one.
                return _spans(m, self.groups)
        ex = _Executor(self, s, start, flags)
        return ex.search()


def _spans(m: re.Match[bytes], groups: int) -> list[tuple[int, int] | None]:
    return [m.span(g) if m.start(g) >= 0 else None for g in range(groups)]


def _search_all(rx: _Regex, s: bytes, native: bool = True) -> list[list[tuple[int, int] | None]]:
    """All matches as std::sregex_iterator enumerates them. `native` false keeps to the
    port, which a budget can interrupt: Python's re holds the GIL for as long as it
    backtracks (``(a|aa)*c`` on forty a's: seconds, with no way to stop it)."""
    out: list[list[tuple[int, int] | None]] = []
    flags = 0
    found = rx.search(s, 0, flags, native)
    while found is not None:
        out.append(found)
        whole = found[0]
        assert whole is not None
        start = whole[1]
        if whole[0] == whole[1]:
            # After an empty match: a non-empty match right there, else move on one.
            if start == len(s):
                break
            again = rx.search(s, start, flags | _NOT_NULL | _CONTINUOUS, native)
            if again is not None:
                found = again
                continue
            start += 1
        flags |= _PREV_AVAIL
        found = rx.search(s, start, flags, native)
    return out


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> _Regex | _RegexError:
    try:
        return _Regex(pattern.encode("utf-8", "surrogateescape"))
    except _RegexError as err:
        return err


def _regex(pattern: str) -> _Regex:
    rx = _compile(pattern)
    if isinstance(rx, _RegexError):
        if rx.space:
            raise E.EvalError(f"memory limit exceeded by regular expression '{pattern}'")
        raise E.EvalError(f"invalid regular expression '{pattern}'")
    return rx


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _groups(s: bytes, spans: list[tuple[int, int] | None]) -> list[Any]:
    return [None if sp is None else _text(s[sp[0] : sp[1]]) for sp in spans[1:]]


@builtin("match", 2)
def match(m: Machine, regex: Any, s: Any) -> Any:
    # The regex is compiled before the string is forced, as in prim_match.
    rx = _regex(m.force_string_no_ctx(regex))
    data = m.force_string(s)
    subject = data.encode("utf-8", "surrogateescape")
    # Untrusted code (restricted mode) runs under a budget: only the port is interruptible.
    spans = rx.match(subject, native=not m.access.restricted)
    return None if spans is None else _groups(subject, spans)


@builtin("split", 2)
def split(m: Machine, regex: Any, s: Any) -> Any:
    rx = _regex(m.force_string_no_ctx(regex))
    data = m.force_string(s)
    subject = data.encode("utf-8", "surrogateescape")
    matches = _search_all(rx, subject, native=not m.access.restricted)
    if not matches:
        # prim_split returns its argument itself, context and all.
        return [data]
    out: list[Any] = []
    prev = 0
    for spans in matches:
        whole = spans[0]
        assert whole is not None
        out.append(_text(subject[prev : whole[0]]))
        out.append(_groups(subject, spans))
        prev = whole[1]
    out.append(_text(subject[prev:]))
    return out
