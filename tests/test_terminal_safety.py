"""Nothing from a project reaches a terminal raw (design §7): escape sequences, ``\\r``,
``\\n`` and the bidi overrides in a source line, a ``throw`` message, an attribute name, a
string value or a file name are shown escaped in every human-facing output (human and gcc
diagnostics, the text description, ``--list``, the plan, the script backend's notes), gcc
stays one line per diagnostic and note, carets stay under their characters, and colour is
only for a terminal that has it. ``--eval`` still prints values as nix-instantiate does.

Everything runs ``python -m nixeval`` in a real process, as a terminal would see it."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nixeval.terminal import (
    display_line,
    escape,
    escape_char,
    escape_lines,
    nix_log_line,
    strip_escape_sequences,
)
from tests.effect_files import ci_nix

ROOT = Path(__file__).resolve().parent.parent

# A window title (OSC 0), a screen clear (CSI 2J), a clipboard write (OSC 52), a carriage
# return, a line break and a right-to-left override ("Trojan source").
EVIL = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;cHduZWQ=\x07\r\n\u202e"
# The same in a JSON string, for Nix values that must hold the \r (a literal \r in a Nix
# string is read as a line break, as Nix reads it).
EVIL_JSON = json.dumps(EVIL)
NIX_EVIL = f"(builtins.fromJSON {json.dumps(EVIL_JSON)})"
# What must never be written: C0 controls but the line break, DEL, C1 controls, the bidi
# formatting characters, and undecodable bytes (surrogate escapes when decoded as below).
RAW = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\udc80-\udcff]"
)
GCC_LINE = re.compile(r"^(.+):(\d+):(\d+): (error|warning|note)(\[\w+\])?: (.*)$")


def ci_eval(*argv: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`ci-eval` in a real process; its output bytes decoded, undecodable ones kept."""
    proc = subprocess.run(
        [sys.executable, "-m", "nixeval", *argv],
        cwd=cwd,
        capture_output=True,
        env={**os.environ, "NO_COLOR": "", **(env or {})},
        timeout=120,
    )
    decode = lambda b: b.decode("utf-8", "surrogateescape")  # noqa: E731
    return proc.returncode, decode(proc.stdout), decode(proc.stderr)


def assert_clean(text: str) -> None:
    found = RAW.search(text)
    assert found is None, f"raw {found.group()!r} at {found.start()}: {text[:2000]!r}"
    # The escaped forms are shown instead: the payload is visible, not hidden. (In a
    # message, escape sequences are dropped as Nix drops them: ``ESC ]`` goes, the rest
    # of the payload stays, its bell escaped.)
    assert "0;pwned\\x07" in text and "\\u202e" in text, text[:2000]


# --- the escaping function -----------------------------------------------------------------

UNSAFE = [
    *map(chr, range(0x00, 0x20)),
    "\x7f",
    *map(chr, range(0x80, 0xA0)),
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
    "\u061c",
    "\u200e",
    "\u200f",
    "\u2028",
    "\u2029",
    *map(chr, range(0xDC80, 0xDD00)),
]


@pytest.mark.parametrize("char", UNSAFE, ids=lambda c: f"U+{ord(c):04X}")
def test_every_unsafe_character_is_shown_as_printable_ascii(char: str) -> None:
    shown = escape(f"a{char}b")
    assert shown.startswith("a\\") and shown.endswith("b")
    assert shown.isascii() and shown.isprintable()
    assert escape_char(char) == shown[1:-1]


def test_escapes_say_which_character_it_was() -> None:
    shown = {escape_char(c) for c in UNSAFE}
    assert len(shown) == len(UNSAFE)  # no two characters look the same
    for char in UNSAFE:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte: the byte
            assert int(escape_char(char)[2:], 16) == code - 0xDC00
        elif char not in "\t\n\r":
            assert int(escape_char(char)[2:], 16) == code


def test_ordinary_text_is_unchanged() -> None:
    text = "grüße 😀 ${x} \\n '' \" é 漢字 \u200d"  # a zero-width joiner is not a control
    assert escape(text) == text
    assert escape("a\tb") == "a\\tb" and escape("a\tb", tab=False) == "a\tb"
    assert display_line("\ta\tb") == "    a   b"


def test_ascii_text_is_escaped_exactly_where_it_is_not_printable() -> None:
    """Printable ASCII passes without the patterns (compiled only when other text comes);
    every other ASCII character is escaped, tab only when asked."""
    import nixeval.terminal as terminal

    terminal._unsafe.cache_clear()
    assert escape("plain text, (with) {punctuation} ~") == "plain text, (with) {punctuation} ~"
    assert terminal._unsafe.cache_info().currsize == 0
    for code in range(128):
        char = chr(code)
        assert (escape(f"a{char}b") == f"a{char}b") == (0x20 <= code < 0x7F), code
        assert (escape(char, tab=False) == char) == (0x20 <= code < 0x7F or char == "\t")


# --- diagnostics -------------------------------------------------------------------------


def _evil_files(tmp_path: Path) -> dict[str, Path]:
    """Files whose diagnostics carry the payload: in a source line (raw), a throw message,
    an attribute name (with a label), and a file name."""
    throw = tmp_path / "throw.nix"
    throw.write_text(f'let s = "s{EVIL}"; in\nthrow ("t" + s + {NIX_EVIL})\n')
    twice = tmp_path / "twice.nix"
    twice.write_text(f'{{ "a{EVIL}" = 1; "a{EVIL}" = 2; }}\n')
    named = tmp_path / f"n{EVIL}.nix"
    named.write_text("{ a = 1; a = 2; } # \x1b]0;pwned\x07 \u202e\n")
    return {"throw": throw, "twice": twice, "named": named}


@pytest.mark.parametrize(
    ("mode", "case"),
    [("--eval", "throw"), ("--eval", "twice"), ("--parse", "twice"), ("--parse", "named")],
)
def test_human_and_gcc_diagnostics_are_escaped(tmp_path: Path, mode: str, case: str) -> None:
    file = _evil_files(tmp_path)[case]
    status, _, human = ci_eval(mode, file.name, cwd=tmp_path)
    assert status == 1 and "Traceback" not in human
    assert_clean(human)
    status, _, gcc = ci_eval(mode, "--format", "gcc", file.name, cwd=tmp_path)
    assert status == 1
    assert_clean(gcc)
    status, _, as_json = ci_eval(mode, "--format", "json", file.name, cwd=tmp_path)
    diagnostics = json.loads(as_json)
    # gcc: exactly one line per diagnostic, per label and per note, each a gcc line.
    lines = gcc.split("\n")
    assert lines[-1] == ""
    expected = sum(1 + len(d["related"]) + len(d["notes"]) for d in diagnostics)
    assert len(lines) - 1 == expected
    assert all(GCC_LINE.match(line) for line in lines[:-1]), gcc
    # The messages are there, escaped, in both formats: gcc on one line, the human
    # format with the message's line breaks kept (as Nix shows a multi-line message).
    for d in diagnostics:
        message = strip_escape_sequences(d["message"])
        assert escape_lines(message) in human and escape(message) in gcc
    assert escape(file.name) in gcc


def test_check_diagnostics_are_escaped(tmp_path: Path) -> None:
    """``check`` prints its diagnostics on stdout; a lint warning's message holds the
    payload (an attribute name), and so does the source line."""
    (tmp_path / "ci.nix").write_text(f'let "u{EVIL}" = 1; in {{ x = rec {{ a = "{EVIL}"; }}; }}\n')
    for format in ("human", "gcc"):
        _, out, err = ci_eval("check", "--format", format, "ci.nix", cwd=tmp_path)
        assert "Traceback" not in err
        assert_clean(out)
        if format == "gcc":
            assert all(GCC_LINE.match(line) for line in out.splitlines()), out


def _caret_under(human: str, needle: str) -> None:
    """In a human diagnostic, the caret line's first mark is under `needle` in the source
    line above it."""
    lines = human.split("\n")
    for i, line in enumerate(lines):
        if re.match(r"^ *\| *\^", line):
            source = lines[i - 1]
            column = line.index("^")
            assert source[column:].startswith(needle), f"{source!r}\n{line!r}"
            return
    raise AssertionError(f"no caret line in {human!r}")


def test_carets_stay_under_their_character_after_escapes(tmp_path: Path) -> None:
    text = 'let s = "\x1b]0;pwned\x07\x1b[2J\r\u202e\x9b\t\udcff"; in s + undefinedVariable\n'
    (tmp_path / "c.nix").write_bytes(text.encode("utf-8", "surrogateescape"))
    status, _, human = ci_eval("--parse", "c.nix", cwd=tmp_path)
    assert status == 1 and "undefined variable 'undefinedVariable'" in human
    assert RAW.search(human) is None, repr(human)
    _caret_under(human, "undefinedVariable")


# --- descriptions, --list, the plan and the script ----------------------------------------


def _project(tmp_path: Path) -> Path:
    """A ci.nix with the payload in an attribute name and an environment value (with its
    \\r), and raw in a runIf condition's source text, a name and a script; one effect runs
    on main, the other does not."""
    effects = f"""\
  "e${{{NIX_EVIL}}}" = pkgs.effects.runIf (src.ref == "refs/heads/{EVIL}") (pkgs.effects.mkEffect {{
    name = "n{EVIL}";
    NASTY = {NIX_EVIL};
    effectScript = "echo {EVIL}";
  }});
  plain = pkgs.effects.mkEffect {{
    name = "p";
    NASTY = {NIX_EVIL};
    effectScript = "echo {EVIL}";
  }};
"""
    (tmp_path / "ci.nix").write_text(ci_nix(effects))
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [
        ["ci.nix", "--format", "text"],
        ["ci.nix", "--list", "--format", "text"],
        ["run", "--backend", "plan", "ci.nix"],
    ],
    ids=["text", "list", "plan"],
)
def test_text_outputs_are_escaped(tmp_path: Path, argv: list[str]) -> None:
    cwd = _project(tmp_path)
    status, out, err = ci_eval(*argv, "--as-branch", "main", cwd=cwd)
    assert status == 0, err
    assert_clean(out)
    assert RAW.search(err) is None, err
    assert escape(f"e{EVIL}") in out  # the attribute name, on its line


def test_the_list_stays_aligned_when_names_are_escaped(tmp_path: Path) -> None:
    cwd = _project(tmp_path)
    status, out, err = ci_eval(
        "ci.nix", "--list", "--format", "text", "--as-branch", "main", cwd=cwd
    )
    assert status == 0, err
    rows = out.splitlines()
    assert len(rows) == 2
    assert len({row.index("mkEffect") for row in rows}) == 1, out


def test_the_plan_keeps_values_with_line_breaks_on_their_line(tmp_path: Path) -> None:
    cwd = _project(tmp_path)
    status, out, err = ci_eval("run", "--backend", "plan", "ci.nix", "--as-branch", "main", cwd=cwd)
    assert status == 0, err
    nasty = [line for line in out.splitlines() if "NASTY=" in line]
    assert nasty == [f"    NASTY={escape(EVIL)}"] * 2


def test_script_notes_are_escaped(tmp_path: Path) -> None:
    """The script backend's note about an effect that does not run names it, escaped."""
    cwd = _project(tmp_path)
    status, _, err = ci_eval("run", "--backend", "script", "ci.nix", "--as-branch", "main", cwd=cwd)
    assert status == 0, err
    assert_clean(err)
    assert escape(f"e{EVIL}") in err


# --- --eval stays nix-instantiate's ------------------------------------------------------

EVAL_EXPR = NIX_EVIL


def test_eval_prints_values_as_nix_does() -> None:
    """`--eval` is nix-instantiate's: a string's escape sequences print as Nix prints
    them (only ``\\r``, ``\\n``, ``\\t``, ``"``, ``\\``, ``${`` escaped)."""
    proc = subprocess.run(
        [sys.executable, "-m", "nixeval", "--eval", "-E", EVAL_EXPR], capture_output=True
    )
    assert proc.returncode == 0
    assert proc.stdout == b'"' + EVIL.replace("\r", "\\r").replace("\n", "\\n").encode() + b'"\n'


@pytest.mark.skipif(not shutil.which("nix-instantiate"), reason="nix-instantiate not on PATH")
def test_eval_output_is_byte_identical_to_nix_instantiate() -> None:
    for argv in (
        ["--eval", "-E", EVAL_EXPR],
        ["--eval", "--strict", "-E", f"{{ a = {EVAL_EXPR}; }}"],
    ):
        nix = subprocess.run(["nix-instantiate", *argv], capture_output=True)
        ours = subprocess.run([sys.executable, "-m", "nixeval", *argv], capture_output=True)
        assert (ours.returncode, ours.stdout) == (nix.returncode, nix.stdout)


# --- colour ----------------------------------------------------------------------------------


def _on_a_terminal(env: dict[str, str]) -> bytes:
    """What ``ci-eval --parse`` of a bad expression writes on stderr when stderr is a
    real terminal (a pty), with `env` set."""
    master, slave = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nixeval", "--parse", "-E", "{ a = [ 1, 2 ]; }"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=slave,
            env={**environment, **env},
        )
        os.close(slave)
        chunks = []
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the pty's other end closed (Linux reports EIO)
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=60) == 1
    finally:
        os.close(master)
    output = b"".join(chunks)
    assert b"(E002)" in output
    return output


def test_colour_on_a_terminal_only_when_it_has_colour() -> None:
    assert b"\x1b[" in _on_a_terminal({"TERM": "xterm-256color"})
    assert b"\x1b[" not in _on_a_terminal({"TERM": "dumb"})
    assert b"\x1b[" not in _on_a_terminal({"TERM": "xterm-256color", "NO_COLOR": "1"})


def test_no_colour_off_a_terminal() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nixeval", "--parse", "-E", "{ a = [ 1, 2 ]; }"],
        capture_output=True,
        env={**os.environ, "TERM": "xterm-256color", "NO_COLOR": ""},
    )
    assert b"(E002)" in proc.stderr and b"\x1b" not in proc.stderr


def test_project_text_cannot_end_a_comment_of_the_script(tmp_path: Path) -> None:
    """The generated script names each effect, and each variable it cannot export, in a
    comment: a line break in the name must not end the comment and run what follows."""
    markers = [tmp_path / "from-the-attribute", tmp_path / "from-the-variable"]
    attr, variable = (json.dumps(f"x\ntouch {marker}\n#") for marker in markers)
    effects = f"""\
  {attr} = pkgs.effects.mkEffect {{
    {variable} = "v";
    effectScript = "true";
  }};
"""
    (tmp_path / "ci.nix").write_text(ci_nix(effects))
    status, script, err = ci_eval("run", "--backend", "script", "ci.nix", cwd=tmp_path)
    assert status == 0, err
    assert not [line for line in script.splitlines() if line.startswith("touch")], script
    status, _, err = ci_eval(
        "run", "--backend", "local", "--state-dir", "state", "ci.nix", cwd=tmp_path
    )
    assert status == 0, err
    assert RAW.search(err) is None, err
    assert escape(json.loads(attr)) in err  # "running …", escaped
    assert not [m for m in markers if m.exists()]


def test_trace_messages_are_escaped_and_keep_their_lines(tmp_path: Path) -> None:
    """``builtins.trace`` from a project prints on stderr in every mode: escaped (Nix
    filters escape sequences out of it), its line breaks kept as Nix keeps them."""
    (tmp_path / "ci.nix").write_text(f"builtins.trace {NIX_EVIL} {{ }}\n")
    for argv in (["--eval", "ci.nix"], ["ci.nix", "--format", "text"]):
        status, _, err = ci_eval(*argv, cwd=tmp_path)
        assert status == 0, err
        assert_clean(err)
        # As Nix prints it (escape sequences dropped), then escaped, line by line.
        first, second = nix_log_line(f"trace: {EVIL}").split("\n")
        assert f"{escape(first)}\n{escape(second)}\n" in err
