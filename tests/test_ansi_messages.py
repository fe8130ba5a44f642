"""Messages holding terminal escape sequences (``lib.warn`` colours its "evaluation
warning"): Nix 2.8 drops the sequences when stderr is not a terminal, expands tabs and
drops carriage returns in its log lines; ci-eval prints ``trace`` byte for byte as Nix does
there, and drops the sequences from its error messages. What else could act on a terminal
(a bell, a backspace) is still shown escaped: ci-eval's own rule (nixeval/terminal.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nixeval.terminal import nix_log_line, strip_escape_sequences
from tests.cli_process import NIX_INSTANTIATE, ci_eval, nix_instantiate

ESC = "\x1b"


@pytest.mark.skipif(NIX_INSTANTIATE is None, reason="nix-instantiate (Nix 2.8) is not installed")
@pytest.mark.parametrize(
    "message",
    [
        f"{ESC}[1;35mevaluation warning:{ESC}[0m the option is renamed",
        "a\tb\tc",
        "xy\rz",
        f"{ESC}[2J{ESC}]cleared\ttab",
        f"ends with escape {ESC}",
        "two\nlines\twith a tab",
    ],
    ids=["lib.warn colours", "tabs", "carriage return", "other sequences", "lone ESC", "lines"],
)
def test_trace_prints_as_nix_does(tmp_path: Path, message: str) -> None:
    (tmp_path / "t.nix").write_text(f'builtins.trace "{message}" 1')
    status, _, expected = nix_instantiate(tmp_path, "--eval", "t.nix")
    assert status == 0
    status, out, err, _ = ci_eval(tmp_path, "--eval", "t.nix")
    assert (status, out, err) == (0, "1\n", expected)


def test_a_thrown_message_loses_its_escape_sequences(tmp_path: Path) -> None:
    (tmp_path / "t.nix").write_text(f'throw "{ESC}[1;31mbad{ESC}[0m value\x07"')
    for argv in (["--eval", "t.nix"], ["--eval", "--format", "gcc", "t.nix"]):
        status, _, err, _ = ci_eval(tmp_path, *argv)
        first = err.splitlines()[0]
        assert status == 1
        assert first.endswith("error: bad value\\x07") or first.endswith(
            "error[E101]: bad value\\x07"
        )  # the bell is shown, not rung (human: Nix's first line; gcc: with the code)
        # (The source line below it is shown as written, each character escaped.)
        assert ESC not in err


def test_the_filter_reads_sequences_as_nix_does() -> None:
    assert strip_escape_sequences(f"a{ESC}[38;5;196mb{ESC}(c{ESC}") == "a" + "b" + "(c"
    assert nix_log_line("trace: a\tb") == "trace: a" + " " * 8 + "b"
    assert nix_log_line("12345678\t|") == "12345678" + " " * 8 + "|"
