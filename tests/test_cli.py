"""The ci-eval command line: output, exit statuses, formats, no tracebacks."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from nixeval import diagnostics
from nixeval.cli import main
from nixeval.diagnostics import Diagnostic, Label, Severity, render_human, use_colour
from nixeval.syntax import Source
from nixeval.syntax.nodes import Span

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "schemas" / "diagnostics.schema.json").read_text())


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out = capsys.readouterr()
    return status, out.out, out.err


def test_parse_expression_prints_it_back(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--parse", "-E", "{ a.b = 1; }") == (0, "{ a = { b = 1; }; }\n", "")


def test_parse_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "x.nix"
    f.write_text("let a = 1; in a + 1\n")
    assert run(capsys, "--parse", str(f)) == (0, "let a = 1; in a + 1\n", "")


def test_parse_directory_reads_default_nix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "default.nix").write_text("[ 1 ]")
    assert run(capsys, "--parse", str(tmp_path))[:2] == (0, "[ 1 ]\n")


def test_parse_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("x: x"))
    assert run(capsys, "--parse", "-")[:2] == (0, "x: x\n")


def test_syntax_error_exits_1_with_a_located_diagnostic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "ci.nix"
    f.write_text("{\n  a = [ 1, 2 ];\n}\n")
    status, out, err = run(capsys, "--parse", str(f))
    assert status == 1 and out == ""
    # nix-instantiate's mode: Nix's first line, the code after the location.
    assert err.startswith("error: syntax error, unexpected ','\n")
    assert "note: unexpected ',', expected ']' or an expression" in err
    assert f"--> {f}:2:10 (E002)" in err
    assert "  a = [ 1, 2 ];\n  |          ^" in err
    assert "help: list elements are separated by white space" in err


def test_every_undefined_variable_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--parse", "--format", "gcc", "-E", "x: [ y z ]")
    assert status == 1
    assert err.splitlines()[0] == "«string»:1:6: error[E006]: undefined variable 'y'"
    assert "«string»:1:8: error[E006]: undefined variable 'z'" in err


def test_gcc_format(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--parse", "--format", "gcc", "-E", "{ a = 1; a = 2; }")
    assert status == 1
    assert err.splitlines() == [
        "«string»:1:10: error[E003]: attribute 'a' already defined at (string):1:3",
        "«string»:1:3: note: first defined here",
    ]


def test_json_format_validates_and_counts_utf16(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--parse", "--format", "json", "-E", '"🙂" + [ 1, 2 ]')
    assert status == 1
    data = json.loads(err)
    jsonschema.validate(data, SCHEMA)
    [d] = data
    # Before the comma stand 9 characters but 10 UTF-16 code units (the emoji takes two).
    assert d["range"] == {
        "start": {"line": 0, "character": 10},
        "end": {"line": 0, "character": 11},
    }
    assert d["code"] == "E002"


def test_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--parse", "/nonexistent/ci.nix")
    assert status == 1
    assert "error: cannot read '/nonexistent/ci.nix': no such file" in err
    assert "(E007)" in err


def test_several_inputs_all_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.nix", tmp_path / "bad.nix"
    good.write_text("1")
    bad.write_text("[")
    status, out, err = run(capsys, "--parse", "--format", "gcc", str(bad), str(good))
    assert status == 1 and out == "1\n" and f"{bad}:1:2: error" in err


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--parse", "--frobnicate", "x.nix")
    assert status == 2
    assert err.startswith("usage: ci-eval")
    assert "unrecognized arguments: --frobnicate" in err


def test_describe_options_need_the_describe_mode(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--eval", "--format", "text", "x.nix")
    assert status == 2 and "--format text is for effect descriptions" in err
    status, _, err = run(capsys, "-E", "1")
    assert status == 2 and "need --eval or --parse" in err
    status, _, err = run(capsys, "--format", "gcc", "ci.nix")
    assert status == 2 and "json or text" in err


def test_internal_error_is_a_diagnostic_naming_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import nixeval.commands.parse as command

    def broken(source: Source) -> object:
        raise ValueError("boom")

    monkeypatch.setattr(command, "parse_checked", broken)
    f = tmp_path / "ci.nix"
    f.write_text("1")
    status, _, err = run(capsys, "--parse", str(f))
    assert status == 1
    assert f"--> {f}:1:1 (E999)" in err and "error: internal error: ValueError: boom" in err
    assert "Traceback" not in err
    with pytest.raises(ValueError, match="boom"):
        # --debug lets the exception (and so its traceback) through.
        from nixeval.commands.parse import run_parse

        run_parse(
            [str(f)],
            expressions=False,
            diagnostics_format="human",
            debug=True,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_no_traceback_for_odd_input_in_a_real_process(tmp_path: Path) -> None:
    for data in [b"\xff\xfe{", b"\x00", b"''${", b"{" * 5000, b"./a/${"]:
        f = tmp_path / "odd.nix"
        f.write_bytes(data)
        proc = subprocess.run(
            [sys.executable, "-m", "nixeval", "--parse", str(f)],
            capture_output=True,
            text=True,
            errors="replace",  # ci-eval writes source bytes that are not UTF-8 as they are
        )
        assert proc.returncode in (0, 1)
        assert "Traceback" not in proc.stderr


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert not use_colour(io.StringIO())
    assert use_colour(_Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(_Tty())


def test_human_rendering_with_labels_and_colour() -> None:
    source = Source("ci.nix", "{\n  a = 1;\n  a = 2;\n}\n")
    d = Diagnostic(
        Severity.ERROR,
        "E003",
        "attribute 'a' already defined",
        source,
        Span(13, 14),
        (Label(Span(4, 5), "first defined here"),),
        ("help: rename one",),
    )
    plain = render_human([d])
    assert plain == (
        "error[E003]: attribute 'a' already defined\n"
        " --> ci.nix:3:3\n"
        "  |\n"
        "2 |   a = 1;\n"
        "  |   - first defined here\n"
        "3 |   a = 2;\n"
        "  |   ^\n"
        "  = help: rename one\n\n"
    )
    coloured = render_human([d], colour=True)
    assert "\x1b[1;31merror[E003]" in coloured
    # As --eval and --parse print it: Nix's first line, the code after the location.
    assert render_human([d], nix_headline=True).startswith(
        "error: attribute 'a' already defined\n --> ci.nix:3:3 (E003)\n"
    )
    assert diagnostics.CODES["E003"]


def test_schema_lists_and_prints_the_shipped_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "schema")
    assert status == 0
    names = out.split()
    assert names == sorted(
        p.name.removesuffix(".schema.json") for p in (ROOT / "schemas").glob("*.schema.json")
    )
    assert "deploy" in names and "secrets" in names
    status, out, _ = run(capsys, "schema", "deploy")
    assert status == 0
    assert json.loads(out)["$id"].endswith("/deploy.schema.json")
    status, _, err = run(capsys, "schema", "deplyo")
    assert status == 2 and "did you mean 'deploy'?" in err


# --- help ------------------------------------------------------------------------------------

COMMANDS = ("check", "fetch", "run", "schema", "help")


def _ci_eval(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nixeval", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def _exit_status_section(help_text: str) -> dict[int, str]:
    """The "exit status:" section, which ends the help: {status: meaning}."""
    _, sep, section = help_text.rpartition("\nexit status:\n")
    assert sep, help_text
    statuses: dict[int, str] = {}
    last = 0
    for line in section.splitlines():
        number, _, meaning = line.strip().partition(" ")
        if line.startswith("  ") and number.isdigit():
            last = int(number)
            statuses[last] = meaning.strip()
        elif line.startswith("       "):  # a meaning's continuation line
            statuses[last] += " " + line.strip()
    return statuses


def test_the_top_level_usage_lists_the_commands() -> None:
    proc = _ci_eval("--no-such-option")
    assert proc.returncode == 2
    usage = proc.stderr.split("ci-eval: error:", 1)[0]
    for command in COMMANDS:
        assert re.search(rf"^\s*(usage: )?ci-eval {command}\b", usage, re.M), (command, usage)
    assert re.search(r"^\s*ci-eval \(--parse \| --eval\)", usage, re.M), usage


@pytest.mark.parametrize("args", [["--help"], ["help"], ["help", "help"]])
def test_the_top_level_help_lists_the_commands(args: list[str]) -> None:
    proc = _ci_eval(*args)
    assert (proc.returncode, proc.stderr) == (0, "")
    listed = proc.stdout.split("\ncommands:\n", 1)[1].split("\n\n", 1)[0]
    assert [line.split()[0] for line in listed.splitlines()[: len(COMMANDS)]] == list(COMMANDS)


def test_help_is_the_same_as_dash_dash_help() -> None:
    assert _ci_eval("help").stdout == _ci_eval("--help").stdout
    for command in ("check", "fetch", "run", "schema"):
        via_help = _ci_eval("help", command)
        assert (via_help.returncode, via_help.stderr) == (0, "")
        assert via_help.stdout == _ci_eval(command, "--help").stdout
        assert via_help.stdout.startswith(f"usage: ci-eval {command} ")


@pytest.mark.parametrize("args", [["help", "bogus"], ["help", "check", "run"]])
def test_help_of_an_unknown_command_is_a_usage_error(args: list[str]) -> None:
    proc = _ci_eval(*args)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert "cannot read" not in proc.stderr
    assert "check, fetch, run, schema, help" in proc.stderr


@pytest.mark.parametrize(
    ("args", "statuses"),
    [
        (["--help"], {0, 1, 2, 130}),
        (["check", "--help"], {0, 1, 2, 130}),
        (["fetch", "--help"], {0, 1, 2, 130}),
        (["run", "--help"], {0, 1, 2, 130}),
        (["schema", "--help"], {0, 2, 130}),  # an unknown schema is a usage error
    ],
    ids=["top-level", "check", "fetch", "run", "schema"],
)
def test_every_help_ends_with_the_exit_statuses(args: list[str], statuses: set[int]) -> None:
    proc = _ci_eval(*args)
    assert proc.returncode == 0
    section = _exit_status_section(proc.stdout)
    assert set(section) == statuses, section
    assert all(section.values()), section
    assert "interrupted" in section[130]
    assert "command line" in section[2]


def test_each_command_gives_its_own_exit_status_meanings() -> None:
    check = _exit_status_section(_ci_eval("check", "--help").stdout)
    run = _exit_status_section(_ci_eval("run", "--help").stdout)
    assert "--warnings-as-errors" in check[1] and "--warnings-as-errors" in check[0]
    assert "secret" in run[1] and "state" in run[130]
    assert check[1] != run[1]
