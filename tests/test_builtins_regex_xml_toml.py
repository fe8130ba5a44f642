"""builtins.match / split, toXML and fromTOML, compared live with real Nix 2.8.

Every successful case is evaluated by Nix in one call (all of them as the attributes of
one set, whose printed form is cut back into cases) and by ci-eval in-process
(``nixeval.cli.main``); error cases are run one by one. Skipped without nix-instantiate.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

NIX = shutil.which("nix-instantiate")
needs_nix = pytest.mark.skipif(NIX is None, reason="nix-instantiate not on PATH")

# A string with a string context, to check what match/split/toXML do with context.
CTX = '(builtins.toFile "f" "a,b")'
DRV = 'derivation { name = "d"; system = "x"; builder = "/b"; }'

REGEX_OK = [
    # whole-string match, groups, unmatched groups
    'builtins.match "a+" "aaa"',
    'builtins.match "a" "ba"',
    'builtins.match "([a-z]+)-([0-9]+)" "foo-123"',
    'builtins.match "(a)?(b)" "b"',
    'builtins.match "((a)(b))c" "abc"',
    'builtins.match "" ""',
    'builtins.match "" "a"',
    'builtins.match "()" ""',
    'builtins.match "(|a)" ""',
    'builtins.match "a|" ""',
    # bracket expressions and classes
    'builtins.match "[[:alpha:]]+([[:digit:]]+)" "abc123"',
    'builtins.match "[[:alnum:]_]+" "a_1"',
    'builtins.match "([[:upper:]])([[:lower:]]*)" "Nix"',
    'builtins.match "[[:space:]]+([[:punct:]]+)" " \\t!?"',
    'builtins.match "[[:xdigit:]]+" "09afAF"',
    'builtins.match "[[:blank:]]" "\\n"',
    'builtins.match "[[:cntrl:]]" "\\n"',
    'builtins.match "[[:graph:]]+[[:print:]]" "ab "',
    'builtins.match "[[:ALPHA:]]" "a"',
    'builtins.match "[[:w:]]+[[:d:]][[:s:]]" "a_1 "',
    'builtins.match "[]a]+" "]a]"',
    'builtins.match "[^]a]+" "bc"',
    'builtins.match "[a-]+" "-a"',
    'builtins.match "[--0]+" "-./0"',
    'builtins.match "[\\\\n]+" "\\\\n"',
    'builtins.match "[a[]+" "[a"',
    'builtins.match "[[=a=]]+" "aA"',
    'builtins.match "[[.hyphen.][.space.]]+" "- -"',
    'builtins.match "[[.a.]-c]+" "abc"',
    'builtins.match "a[^x]b" "a\\nb"',
    # escapes, dot, anchors, intervals, stacked quantifiers
    'builtins.match "a\\\\.b" "a.b"',
    'builtins.match "\\\\(\\\\)\\\\*\\\\+\\\\?\\\\{\\\\|\\\\^\\\\$\\\\[" "()*+?{|^$["',
    'builtins.match "]}" "]}"',
    'builtins.match "a.b" "a\\nb"',
    'builtins.match "." "é"',
    'builtins.match ".." "é"',
    'builtins.match "(.)(.)" "é"',
    'map builtins.stringLength (builtins.match "(.)(.)" "é")',
    'builtins.match "(.)(..)" "aé"',
    'builtins.match "^a$" "a"',
    'builtins.match "a^b" "ab"',
    'builtins.match "a$" "a\\n"',
    'builtins.match "a{2,3}" "aaaa"',
    'builtins.match "(a){2}" "aa"',
    'builtins.match "a{1,}b{0}" "aa"',
    'builtins.match "a{2147483648}" ""',
    'builtins.match "a**" "aa"',
    'builtins.match "(a*)?+" "aa"',
    # libstdc++'s search order: where it is not Python's
    'builtins.match "(a|ab)(c|bcd)(d*)" "abcd"',
    'builtins.match "(a|b)*" "abab"',
    'builtins.match "(a*)*" "aa"',
    'builtins.match "(a*)+" "aa"',
    'builtins.match "(a*)*(b)" "aab"',
    'builtins.match "(|a)*" "aa"',
    'builtins.match "(()|a)+" "aa"',
    'builtins.match "(a|(b))*" "ba"',
    'builtins.match "((a)|(b))+" "ab"',
    'builtins.match "(a(b)?)+" "aba"',
    'builtins.match "(a{0,2})*" "aaa"',
    'builtins.match "(ab|a)(bc|c)?" "abc"',
    # split
    'builtins.split "," "a,b,c"',
    'builtins.split "(,)" "a,b"',
    'builtins.split "x" "abc"',
    'builtins.split "x*" "abc"',
    'builtins.split "" "abc"',
    'builtins.split "a" ""',
    'builtins.split "a*" "baaac"',
    'builtins.split "(a)|(b)" "xaybz"',
    'builtins.split "[[:space:]]+" "a  b\\tc"',
    'builtins.split "^" "ab"',
    'builtins.split "$" "ab"',
    'builtins.split "^a" "aaa"',
    'builtins.split "a|ab" "abc"',
    'builtins.split "(x|xy)z*" "xyz"',
    'builtins.split "(a|ab)(c|bcd)(d*)" "abcd"',
    'builtins.split "b*|^a" "cab"',
    'builtins.split "(a*)*" "aab"',
    'builtins.split "x?" "ax"',
    'builtins.split "(.)" "é"',
    'map builtins.typeOf (builtins.split "(.)" "é")',
    'builtins.split "é" "aéb"',
    'builtins.split "[é]" "aéb"',
    'builtins.split "([[:digit:]]+)" "v1.22.333"',
    # string context
    f'builtins.match "/nix/store/.*" {CTX}',
    f'builtins.split "," {CTX}',
    f'builtins.split "x" {CTX}',
    f'builtins.hasContext (builtins.head (builtins.split "x" {CTX}))',
    f'builtins.hasContext (builtins.head (builtins.split "," {CTX}))',
    f'builtins.hasContext (builtins.head (builtins.match "(.*)" {CTX}))',
]

XML_OK = [
    "builtins.toXML 1",
    "builtins.toXML (-3)",
    "builtins.toXML true",
    "builtins.toXML null",
    "builtins.toXML [ 1.5 0.1 1.0 123456789.0 1.0e-7 ]",
    'builtins.toXML "a<b>&\\"c\'\\nd\\te"',
    'builtins.toXML "é"',
    "builtins.toXML ./xml.nix",
    "builtins.toXML [ ]",
    "builtins.toXML { }",
    "builtins.toXML [ [ 1 ] [ ] { } ]",
    'builtins.toXML { b = "x"; a = 1; "a b" = { c = [ null ]; }; }',
    'builtins.toXML { "<&>" = 1; }',
    "builtins.toXML (x: x)",
    "builtins.toXML ({ b, a ? 1 }: a)",
    "builtins.toXML ({ a, ... }@args: a)",
    "builtins.toXML (args@{ ... }: args)",
    "builtins.toXML builtins.map",
    "builtins.toXML (builtins.map (x: x))",
    'builtins.toXML { type = "derivation"; outPath = "/out"; drvPath = "/drv"; name = "n"; }',
    'builtins.toXML { a = { type = "derivation"; drvPath = "/d"; }; '
    'b = { type = "derivation"; drvPath = "/d"; outPath = 1; }; '
    'c = { type = "derivation"; drvPath = ""; }; d = { type = "derivation"; }; }',
    'builtins.toXML { type = "derivation"; drvPath = "a\\"b"; outPath = "<o>"; }',
    f"builtins.toXML [ ({DRV}) ({DRV}) ]",
    f"builtins.hasContext (builtins.toXML {{ a = {CTX}; }})",
    f"builtins.hasContext (builtins.toXML {CTX})",
    'builtins.toXML { __functor = self: x: x; a = "b"; }',
    "builtins.toXML (let x = { a = 1; }; in [ x x ])",
]

TOML_OK = [
    'builtins.fromTOML "a = 1\\nb = \\"two\\""',
    'builtins.fromTOML "[server]\\nhost = \\"h\\"\\n[server.sub]\\nx = true"',
    'builtins.fromTOML "[[p]]\\nn = 1\\n[[p]]\\nn = 2"',
    'builtins.fromTOML "[[a]]\\nb=1\\n[a.c]\\nd=2"',
    'builtins.fromTOML "x = 1.5"',
    'builtins.fromTOML "x = 1.0"',
    'builtins.fromTOML "x = 123456789.123"',
    'builtins.fromTOML "x = 1e300\\ny = 5e+22\\nz = -0.0"',
    'builtins.fromTOML "x = inf\\ny = -inf\\nz = nan"',
    'builtins.fromTOML "x = 9223372036854775807"',
    'builtins.fromTOML "x = 9223372036854775808"',
    'builtins.fromTOML "x = -9223372036854775809"',
    'builtins.fromTOML "a = 0xff\\nb = 0o17\\nc = 0b101\\nd = 1_000\\ne = +1\\nf = -5"',
    'builtins.fromTOML "x = [1, \\"a\\", [2], {b = 3}]"',
    'builtins.fromTOML "x = []\\ny = {}"',
    'builtins.fromTOML "x = { a = 1, b = { c = 2 } }"',
    'builtins.fromTOML "a.b.c = 1\\na.d = 2"',
    "builtins.fromTOML ''\"a b\" = 1''",
    "builtins.fromTOML \"x = 'C:\\\\path'\"",
    'builtins.fromTOML "x = \\"\\"\\"\\nline1\\nline2\\"\\"\\""',
    "builtins.fromTOML ''x = \"\\u00e9\\t\"''",
    'builtins.fromTOML "t = true\\nf = false"',
    'builtins.fromTOML ""',
    'builtins.fromTOML "# comment\\na = 1 # trailing"',
    'builtins.fromTOML "[a.b]\\n[a]\\nc = 1"',
]

# (expression, Nix's error message: the first line after "error: ")
ERRORS = [
    ('builtins.match "(" "a"', "invalid regular expression '('"),
    ('builtins.match "[a" "a"', "invalid regular expression '[a'"),
    ('builtins.match "(a)\\\\1" "aa"', "invalid regular expression '(a)\\1'"),
    ('builtins.match "\\\\[(.*)\\\\]" "[x]"', "invalid regular expression '\\[(.*)\\]'"),
    ('builtins.match "\\\\d" "1"', "invalid regular expression '\\d'"),
    ('builtins.match "\\\\" "a"', "invalid regular expression '\\'"),
    ('builtins.match "*a" "a"', "invalid regular expression '*a'"),
    ('builtins.match "^*" ""', "invalid regular expression '^*'"),
    ('builtins.match "a|*" "a"', "invalid regular expression 'a|*'"),
    ('builtins.match "a{" "a"', "invalid regular expression 'a{'"),
    ('builtins.match "a{,2}" "a"', "invalid regular expression 'a{,2}'"),
    ('builtins.match "a{2,1}" "a"', "invalid regular expression 'a{2,1}'"),
    ('builtins.match "a{1 }" "a"', "invalid regular expression 'a{1 }'"),
    ('builtins.match "(a))" "a"', "invalid regular expression '(a))'"),
    ('builtins.match "[z-a]" "a"', "invalid regular expression '[z-a]'"),
    ('builtins.match "[a-z--0]" "-"', "invalid regular expression '[a-z--0]'"),
    ('builtins.match "[[:alpha:]-z]" "b"', "invalid regular expression '[[:alpha:]-z]'"),
    ('builtins.match "[[:foo:]]" "a"', "invalid regular expression '[[:foo:]]'"),
    ('builtins.match "[[:alpha:]" "a"', "invalid regular expression '[[:alpha:]'"),
    ('builtins.match "[[.0.]]" "0"', "invalid regular expression '[[.0.]]'"),
    ('builtins.split "[" "x"', "invalid regular expression '['"),
    ('builtins.match "a{99994}" "a"', "memory limit exceeded by regular expression 'a{99994}'"),
    ('builtins.match "(a){24998}" "a"', "memory limit exceeded by regular expression '(a){24998}'"),
    ('builtins.match "(" 1', "invalid regular expression '('"),
    ('builtins.match "a" 1', "value is an integer while a string was expected"),
    ('builtins.split "a" ./x', "value is a path while a string was expected"),
    (
        f'builtins.match "${{{CTX}}}" "a"',
        "the string '/nix/store/amng7gj4f8x3pmbmi5n35c4p23cymc0c-f' is not allowed to refer "
        "to a store path (such as '/nix/store/amng7gj4f8x3pmbmi5n35c4p23cymc0c-f')",
    ),
    ('builtins.toXML { a = throw "xml throw"; }', "xml throw"),
    (
        'builtins.toXML [ (abort "xml abort") ]',
        "evaluation aborted with the following error message: 'xml abort'",
    ),
    (
        'builtins.fromTOML "d = 1979-05-27T07:32:00Z"',
        "while parsing a TOML string: Dates and times are not supported",
    ),
    (
        'builtins.fromTOML "d = 07:32:00"',
        "while parsing a TOML string: Dates and times are not supported",
    ),
    (
        'builtins.fromTOML "d = [1979-05-27]"',
        "while parsing a TOML string: Dates and times are not supported",
    ),
    ("builtins.fromTOML 1", "value is an integer while a string was expected"),
]

# TOML syntax errors: Nix quotes toml11's message, ci-eval tomllib's; only the prefix
# "while parsing a TOML string: [error] " is the same.
TOML_SYNTAX_ERRORS = [
    (
        'builtins.fromTOML "a = "',
        "toml::parse_key_value_pair: missing value after key-value separator '='",
    ),
    ('builtins.fromTOML "a = 1\\na = 2"', 'toml::insert_value: value ("a") already exists.'),
    ('builtins.fromTOML "[a]\\n[a]"', 'toml::insert_value: table ("a") already exists.'),
    ('builtins.fromTOML "x = 01"', "bad integer: leading zero"),
]
TOML_PREFIX = "while parsing a TOML string: [error] "

OK_CASES = REGEX_OK + XML_OK + TOML_OK

_HALF_UTF8 = (
    "the result holds half a UTF-8 sequence: pytest's in-process capture cannot hold bytes "
    "that are not UTF-8 (the ci-eval process prints them: test_half_utf8_printed_as_nix_does)"
)
KNOWN_DIFFERENCES = {
    'builtins.match "(.)(.)" "é"': _HALF_UTF8,
    'builtins.split "(.)" "é"': _HALF_UTF8,
}


def _ok_params() -> list[object]:
    params: list[object] = []
    for expr in OK_CASES:
        reason = KNOWN_DIFFERENCES.get(expr)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(expr, marks=marks))
    return params


def _nix(expr: str) -> subprocess.CompletedProcess[str]:
    assert NIX is not None
    env = dict(os.environ, NIX_REMOTE="dummy://")
    return subprocess.run(
        [NIX, "--eval", "--strict", "--readonly-mode", "-E", expr],
        env=env,
        cwd=os.path.dirname(__file__),
        capture_output=True,
        text=True,
        errors="surrogateescape",  # a regex can cut a UTF-8 sequence in two
        timeout=120,
        check=False,
    )


def _key(i: int) -> str:
    return f"zzcase{i:04d}"


@pytest.fixture(scope="module")
def nix_ok() -> dict[str, str]:
    """What Nix prints for every successful case: one call, the cases as attributes."""
    if NIX is None:
        pytest.skip("nix-instantiate not on PATH")
    body = " ".join(f"{_key(i)} = ({e});" for i, e in enumerate(OK_CASES))
    proc = _nix("{ " + body + " }")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.strip()
    assert out.startswith("{ ") and out.endswith(" }"), out[:200]
    parts = re.split(r"(?:^\{ |; )(zzcase\d{4}) = ", out[: -len(" }")])
    assert parts[0] == ""
    values = dict(zip(parts[1::2], parts[2::2], strict=True))
    values[_key(len(OK_CASES) - 1)] = values[_key(len(OK_CASES) - 1)].removesuffix(";")
    return {OK_CASES[int(k[6:])]: v for k, v in values.items()}


@pytest.fixture(scope="module")
def nix_errors() -> dict[str, str]:
    if NIX is None:
        pytest.skip("nix-instantiate not on PATH")
    exprs = [e for e, _ in ERRORS] + [e for e, _ in TOML_SYNTAX_ERRORS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        procs = list(pool.map(_nix, exprs))
    out: dict[str, str] = {}
    for expr, proc in zip(exprs, procs, strict=True):
        assert proc.returncode == 1, (expr, proc.stdout, proc.stderr)
        first = next(line for line in proc.stderr.splitlines() if line.startswith("error: "))
        out[expr] = first[len("error: ") :]
    return out


def _ci_eval(expr: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from nixeval.cli import main

    capsys.readouterr()
    status = main(["--eval", "--strict", "-E", "--", expr])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_table_sizes() -> None:
    regex = len(REGEX_OK) + sum("builtins.match" in e or "split" in e for e, _ in ERRORS)
    assert regex >= 60
    assert len(OK_CASES) + len(ERRORS) + len(TOML_SYNTAX_ERRORS) >= 120
    assert len(set(OK_CASES)) == len(OK_CASES)


@needs_nix
@pytest.mark.parametrize("expr", _ok_params())
def test_ok(
    expr: str,
    nix_ok: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(os.path.dirname(__file__))
    status, out, err = _ci_eval(expr, capsys)
    assert status == 0, err
    assert out == nix_ok[expr] + "\n"


@needs_nix
@pytest.mark.parametrize(("expr", "message"), ERRORS)
def test_error(
    expr: str,
    message: str,
    nix_errors: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert nix_errors[expr] == message
    monkeypatch.chdir(os.path.dirname(__file__))
    status, _, err = _ci_eval(expr, capsys)
    assert status == 1
    assert message in err


@needs_nix
@pytest.mark.parametrize(("expr", "message"), TOML_SYNTAX_ERRORS)
def test_toml_syntax_error_prefix(
    expr: str, message: str, nix_errors: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert nix_errors[expr] == TOML_PREFIX + message
    status, _, err = _ci_eval(expr, capsys)
    assert status == 1
    assert TOML_PREFIX in err


@needs_nix
@pytest.mark.xfail(
    strict=True, reason="Python's tomllib words syntax errors differently from toml11"
)
@pytest.mark.parametrize(("expr", "message"), TOML_SYNTAX_ERRORS[:1])
def test_toml_syntax_error_wording(
    expr: str, message: str, nix_errors: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, err = _ci_eval(expr, capsys)
    assert TOML_PREFIX + message in err


@needs_nix
@pytest.mark.parametrize("expr", ['builtins.match "(.)(.)" "é"', 'builtins.split "(.)" "é"'])
def test_half_utf8_printed_as_nix_does(expr: str) -> None:
    """The ci-eval process writes the bytes of a string cut inside a UTF-8 sequence, as Nix."""
    argv = ["--eval", "--strict", "-E", expr]
    ours = subprocess.run([sys.executable, "-m", "nixeval", *argv], capture_output=True)
    nix = subprocess.run(
        ["nix-instantiate", *argv],
        capture_output=True,
        env={**os.environ, "NIX_REMOTE": "dummy://"},
    )
    assert ours.returncode == nix.returncode == 0, ours.stderr
    assert ours.stdout == nix.stdout
