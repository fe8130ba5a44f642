"""``builtins.fromJSON`` on bad JSON says what Nix 2.8 says, word for word (its JSON
library's message: the line and column, what was being read, what came, what was
expected, the bytes last read), and reads what Nix reads. Each case writes the JSON to a
file and runs real ``nix-instantiate`` (the oracle) and ci-eval on
``builtins.fromJSON (builtins.readFile ./in.json)`` as processes, in the same directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nixeval.builtins.json_reader import JsonError, _Reader, read_json
from tests.cli_process import NIX_INSTANTIATE, ci_eval, nix_instantiate, nix_instantiate_run

needs_nix = pytest.mark.skipif(
    NIX_INSTANTIATE is None, reason="nix-instantiate (Nix 2.8) is not installed"
)

ARGV = ["--eval", "--strict", "-E", "builtins.fromJSON (builtins.readFile ./in.json)"]

BAD = {
    "empty": b"",
    "whitespace only": b" \n\t ",
    "end in array": b"[1",
    "end after comma": b"[1,",
    "end in object key": b"{",
    "end after key": b'{"a"',
    "end after colon": b'{"a":',
    "end in object": b'{"a":1',
    "end in string": b'"abc',
    "end in nested": b'{"a":{"b":[1,{"c"',
    "trailing comma in array": b"[1,]",
    "trailing comma in object": b'{"a":1,}',
    "number as key": b"{1:2}",
    "missing colon": b'{"a" 1}',
    "missing comma": b'{"a":1 "b":2}',
    "wrong closer": b"[1}",
    "bad literal": b"tru",
    "bad literal in array": b"[true, nul]",
    "bad word after number": b"[1, x]",
    "single quotes": b"'a'",
    "NaN": b"NaN",
    "-Infinity": b"-Infinity",
    "trailing garbage": b"1 2",
    "trailing word": b"1x",
    "trailing literal": b"true\nfalse",
    "leading zero": b"01",
    "minus alone": b"-",
    "dot without digits": b"1.",
    "dot then exponent": b"1.e5",
    "exponent without digits": b"1e",
    "exponent sign without digits": b"1e+",
    "two dots": b"1.5.2",
    "plus sign": b"+1",
    "bad escape": b'"\\x"',
    "backslash at end": b'"\\',
    "short unicode escape": b'"\\u12"',
    "lone high surrogate": b'"\\ud800"',
    "high surrogate then not low": b'"\\ud800\\u0041"',
    "lone low surrogate": b'"\\udc00"',
    "line feed in string": b'"a\nb"',
    "tab in string": b'"\t"',
    "escape character in string": b'"\x1b[31m"',
    "multi-line position": b'{\n  "a": 1,\n  "b" 2\n}',
    "number before a line break": b"[1 2\n]",
    "carriage returns": b"[1,\r\n2\r\n x]",
    "utf-8 before the error": b'{"\xc3\xa9\xe2\x82\xac": tru}',
    "vertical tab is not whitespace": b"\x0b1",
    # (After a byte order mark, which the json module refuses: what the reader says.)
    "overflow": b"\xef\xbb\xbf[1e400]",
    "overflowing integer": b"\xef\xbb\xbf" + b"1" + b"0" * 400,
    "deep, unclosed": b"[" * 5000,
}

# Bytes that are not UTF-8: Nix prints them raw, ci-eval as \xNN (it escapes what could act
# on a terminal, docs/security.md); Nix's bytes are compared as that escape shows them.
NOT_UTF8 = {
    "stray byte": b"\x80",
    "stray byte in array": b"[1,\x80]",
    "continuation byte in string": b'"a\x80"',
    "truncated sequence": b'"\xc3"',
    "overlong sequence": b'"\xe0\x80\x80"',
    "encoded surrogate": b'"\xed\xa0\x80"',
    "beyond U+10FFFF": b'"\xf4\x90\x80\x80"',
    "invalid lead byte": b'"\xf5"',
    "half a byte order mark": b"\xef1",
    "bad byte order mark": b"\xef\xbb1",
}

# Valid for Nix, and read differently by Python's json module.
GOOD = {
    "byte order mark": b"\xef\xbb\xbf[1]",
    "surrogate pair and a byte order mark": b'\xef\xbb\xbf"\\ud83d\\ude00"',
}


def first_error_line(stderr: str) -> str:
    return next((line for line in stderr.splitlines() if line.startswith("error")), "")


def nix_error_bytes_shown(cwd: Path) -> str:
    """Nix's first error line for ARGV, its bytes that are not UTF-8 shown as \\xNN."""
    done = nix_instantiate_run(cwd, *ARGV, text=False)
    assert done.returncode == 1
    return first_error_line(done.stderr.decode("utf-8", "backslashreplace"))


@needs_nix
@pytest.mark.parametrize("data", BAD.values(), ids=BAD.keys())
def test_first_error_line_is_nix_s(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "in.json").write_bytes(data)
    status, _, expected = nix_instantiate(tmp_path, *ARGV)
    assert status == 1
    status, _, err, _ = ci_eval(tmp_path, *ARGV)
    assert status == 1
    assert first_error_line(err) == first_error_line(expected)
    assert first_error_line(err).startswith("error: [json.exception.")
    # ci-eval's code and position follow.
    assert err.splitlines()[1] == " --> «string»:1:1 (E100)"


@needs_nix
@pytest.mark.parametrize("data", NOT_UTF8.values(), ids=NOT_UTF8.keys())
def test_first_error_line_with_bytes_that_are_not_utf8(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "in.json").write_bytes(data)
    expected = nix_error_bytes_shown(tmp_path)
    status, _, err, _ = ci_eval(tmp_path, *ARGV)
    assert status == 1
    assert first_error_line(err) == expected
    assert "\\x" in expected


@needs_nix
@pytest.mark.parametrize("data", GOOD.values(), ids=GOOD.keys())
def test_reads_what_nix_reads(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "in.json").write_bytes(data)
    expected = nix_instantiate(tmp_path, *ARGV)
    assert expected[0] == 0, expected[2]
    assert ci_eval(tmp_path, *ARGV)[:2] == expected[:2]


VALID = [
    '{"a": [1, 2.5, -3e2, true, false, null], "b\\u00e9": {"c": "x\\ny\\"z\\/\\b\\f\\r\\t"}}',
    '["\\ud83d\\ude00", "\\uDBFF\\uDFFF", "é€😀", "\\u0000"]',
    '{"a": 1, "a": 2, "": []}',
    "[0, -0, -0.0, 1E5, 1e-400, 0.1, 9223372036854775807, 9223372036854775808]",
    "[18446744073709551615, 18446744073709551616, -9223372036854775808]",
    "[-9223372036854775809, 123456789012345678901234567890, 1" + "0" * 300 + "]",
    " \t\r\n[ ] ",
    "[" * 200 + "]" * 200,
]


@pytest.mark.parametrize("text", VALID, ids=range(len(VALID)))
def test_the_reader_reads_what_the_json_module_reads(text: str) -> None:
    """The reader that finds Nix's errors also reads valid JSON (a byte order mark, a
    surrogate pair), with the same values as the fast path."""
    slow = _Reader(text.encode()).document()
    assert slow == read_json(text)
    assert json.dumps(slow) == json.dumps(read_json(text))  # -0.0 and 0 told apart


def test_nesting_as_deep_as_nix_reads() -> None:
    """Nix 2.8 reads JSON nested 100000 deep; the reader does not recurse."""
    value = _Reader(b"[" * 100000 + b"]" * 100000).document()
    depth = 0
    while value:
        value, depth = value[0], depth + 1
    assert depth == 99999


def test_an_escaped_lone_surrogate_is_refused() -> None:
    """The json module would read it (as a lone surrogate); Nix refuses it."""
    for text in ('"\\ud800"', '["\\ud83d\\ude00", "\\udc00"]', '"\\uDBFF"'):
        with pytest.raises(JsonError, match="surrogate U"):
            read_json(text)
