"""``ci-eval check``: golden outputs per check and per format, and the command's contract.

Each directory of tests/golden/check is a small project whose ``ci.nix`` shows one check
(its name starts with the code). ``ci-eval check ci.nix`` runs in it, with the arguments
of ``args.json`` if there is one, in every format; the outputs are compared with
``expected.<format>`` beside it (``UPDATE_GOLDEN=1`` rewrites them), the SARIF output is
validated against the official SARIF 2.1.0 schema, and the code in the directory's name
must be among the gcc output's codes.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nixeval.cli import main
from nixeval.commands.check import CheckOptions, run_check

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "check"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "ci.nix").exists())
FORMATS = ("human", "gcc", "json", "sarif")
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
GCC_LINE = re.compile(r"^(.+):(\d+):(\d+): (error|warning|note)\[(\w+)\]: (.*)$")


def check(cwd: Path, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    """Run ``ci-eval check`` in `cwd` (in this process, as the console script does)."""
    old = os.getcwd()
    os.chdir(cwd)
    out, err = io.StringIO(), io.StringIO()
    try:
        saved = sys.stdin, sys.stdout, sys.stderr
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
        try:
            status = main(["check", *argv])
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved
    finally:
        os.chdir(old)
    return status, out.getvalue(), err.getvalue()


def codes(gcc: str) -> list[str]:
    return [m.group(5) for line in gcc.splitlines() if (m := GCC_LINE.match(line))]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("format", FORMATS)
def test_golden(case: str, format: str) -> None:
    directory = GOLDEN / case
    extra = (
        json.loads((directory / "args.json").read_text())
        if (directory / "args.json").exists()
        else []
    )
    status, out, err = check(directory, "--format", format, *extra, "ci.nix")
    assert err == ""
    if format == "sarif":
        validate_sarif(json.loads(out))
        out = portable_sarif(out, directory)
    expected_file = directory / f"expected.{format}"
    if os.environ.get("UPDATE_GOLDEN"):
        expected_file.write_text(out)
    assert out == expected_file.read_text()
    errors = "error[" in check(directory, "--format", "gcc", *extra, "ci.nix")[1]
    assert status == (1 if errors else 0)


def portable_sarif(out: str, directory: Path) -> str:
    """A SARIF log as its golden file has it, the same wherever the checkout is: URIs are
    relative to the repository root (``%SRCROOT%``, an absolute ``file://`` URI), so the
    golden file has them relative to the case's directory and the root as ``file:///ROOT/``."""
    from urllib.parse import quote, unquote

    from nixeval.checkout import repo_root

    log = json.loads(out)
    run = log["runs"][0]
    root = Path(repo_root(str(directory)))
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": root.as_uri() + "/"}}
    run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///ROOT/"
    for result in run["results"]:
        for location in result["locations"] + result.get("relatedLocations", []):
            artifact = location["physicalLocation"]["artifactLocation"]
            if artifact.get("uriBaseId") == "%SRCROOT%":
                path = root / unquote(artifact["uri"])
                artifact["uri"] = quote(os.path.relpath(path, directory).replace(os.sep, "/"))
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def test_every_case_shows_its_code() -> None:
    for case in CASES:
        directory = GOLDEN / case
        extra = (
            json.loads((directory / "args.json").read_text())
            if (directory / "args.json").exists()
            else []
        )
        code = case.split("-")[0].upper()
        found = codes(check(directory, "--format", "gcc", *extra, "ci.nix")[1])
        if re.fullmatch(r"[EW]\d{3}", code):
            assert code in found, (case, found)
        elif case == "good" or case == "suppressed":
            assert "E" not in "".join(c[0] for c in found), (case, found)


def test_every_check_has_a_golden() -> None:
    """Each static and effect check of ``check`` has a golden case named after it."""
    covered = {case.split("-")[0].upper() for case in CASES}
    wanted = {"E002", "E003", "E006", "W001", "W002", "W003", "W004", "W005", "W006", "W007"}
    wanted |= {"E212", "E213", "E214", "E215", "E216", "E217", "E218", "W203"}
    assert wanted <= covered, sorted(wanted - covered)


def validate_sarif(document: object) -> None:
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)  # the schema says draft-04
    validator(schema, format_checker=validator.FORMAT_CHECKER).validate(document)


# --- the command's contract -----------------------------------------------------------------


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return directory


def test_all_problems_of_all_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a/ci.nix": "{ x = y; z = w; }\n",
            "b/ci.nix": "{ x = 1 }\n",
            "c/ci.nix": "{ x = 1; }\n",
        },
    )
    status, out, _ = check(
        tmp_path, "--format", "gcc", "a/ci.nix", "b/ci.nix", "missing.nix", "c/ci.nix"
    )
    assert status == 1
    lines = out.splitlines()
    assert lines[0].startswith("a/ci.nix:1:7: error[E006]: undefined variable 'y'")
    assert lines[1].startswith("a/ci.nix:1:14: error[E006]: undefined variable 'w'")
    assert any(line.startswith("b/ci.nix:1:9: error[E002]") for line in lines)
    # No line and column: nothing of a missing file was read.
    assert any(line.startswith("missing.nix: error[E007]") for line in lines)
    assert not any(line.startswith("c/ci.nix") for line in lines)


def test_clean_file_exits_zero_and_prints_nothing(tmp_path: Path) -> None:
    write(tmp_path, {"ci.nix": "{ app = 1; }\n"})
    assert check(tmp_path, "ci.nix") == (0, "", "")
    assert check(tmp_path, "--format", "json", "ci.nix")[1] == "[]\n"


def test_warnings_fail_only_when_asked(tmp_path: Path) -> None:
    write(tmp_path, {"ci.nix": "let unused = 1; in { app = 1; }\n"})
    status, out, _ = check(tmp_path, "--format", "gcc", "ci.nix")
    assert status == 0 and "warning[W001]" in out
    assert check(tmp_path, "--format", "gcc", "--warnings-as-errors", "ci.nix")[0] == 1


def test_stdin_buffer_resolves_paths_as_the_named_file(tmp_path: Path) -> None:
    """An editor's unsaved buffer: the text comes from stdin, but ./ paths are next to
    the file it names, and diagnostics carry that name."""
    write(tmp_path, {"nix/other.nix": "{ value = 1; }\n", "nix/ci.nix": "{ }\n"})
    buffer = "let other = import ./other.nix; in { app = other.valeu; }\n"
    status, out, _ = check(
        tmp_path, "--format", "gcc", "--stdin-filename", "nix/ci.nix", "-", stdin=buffer
    )
    assert status == 1
    assert out.startswith("nix/ci.nix:1:44: error[E105]: attribute 'valeu' missing"), out


def test_json_ranges_are_lsp_ranges(tmp_path: Path) -> None:
    """0-based lines, UTF-16 columns: 'é' is one unit, '𝔸' two."""
    write(tmp_path, {"ci.nix": '{ a = "é𝔸"; b = undefinedName; }\n'})
    status, out, _ = check(tmp_path, "--format", "json", "ci.nix")
    (d,) = json.loads(out)
    assert status == 1 and d["code"] == "E006" and d["severity"] == "error"
    assert d["range"] == {
        "start": {"line": 0, "character": 17},
        "end": {"line": 0, "character": 30},
    }


def test_effect_on_a_branch_the_condition_names(tmp_path: Path) -> None:
    """An effect only defined on production is still checked, and says so."""
    case = GOLDEN / "hidden-branch"
    status, out, _ = check(case, "--format", "gcc", "ci.nix")
    assert status == 1
    assert "error[E205]" in out
    assert "note: found when evaluated as if on branch 'production'" in out


def test_an_internal_error_is_a_diagnostic_of_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"a.nix": "{ }\n", "b.nix": "let x = 1; in { }\n"})
    import nixeval.lint as lint_module

    real = lint_module.lint

    def broken(expr, source):  # type: ignore[no-untyped-def]
        if source.name == "a.nix":
            raise RuntimeError("boom")
        return real(expr, source)

    monkeypatch.setattr(lint_module, "lint", broken)
    status, out, _ = check(tmp_path, "--format", "gcc", "a.nix", "b.nix")
    assert status == 1
    assert out.splitlines()[0].startswith(
        "a.nix:1:1: error[E999]: internal error: RuntimeError: boom"
    )
    assert "b.nix:1:5: warning[W001]" in out


def test_usage_errors() -> None:
    assert check(ROOT, "--stdin-filename", "ci.nix", "ci.nix")[0] == 2
    assert check(ROOT, "--format", "text", "ci.nix")[0] == 2
    assert check(ROOT, "--timeout", "0", "ci.nix")[0] == 2


def test_run_check_api(tmp_path: Path) -> None:
    write(tmp_path, {"ci.nix": "{ a = b; }\n"})
    out = io.StringIO()
    options = CheckOptions(files=[str(tmp_path / "ci.nix")], format="gcc")
    assert run_check(options, io.StringIO(), out, io.StringIO()) == 1
    assert "error[E006]" in out.getvalue()


def test_installed_command_outside_the_checkout(tmp_path: Path) -> None:
    """The console script, as pre-commit and editors run it."""
    exe = shutil.which("ci-eval")
    if exe is None:
        pytest.fail("ci-eval is not installed (pip install -e .)")
    write(tmp_path, {"ci.nix": "{ a = b; }\n"})
    run = subprocess.run(
        [exe, "check", "--format", "gcc", "ci.nix"], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 1
    assert run.stdout.startswith("ci.nix:1:7: error[E006]: undefined variable 'b'")


# --- the broken fixtures whose checks need files or secrets ---------------------------------


@pytest.mark.parametrize(
    ("fixture", "extra", "expected"),
    [
        (
            "broken-missing-network-file",
            [],
            "ci.nix:38:38: error[E212]: runNixOps: network file 'network-aws.nix' does not "
            "exist in src (./.)",
        ),
        (
            "broken-secret-name",
            ["--secrets", "secrets.json"],
            "ci.nix:41:24: error[E214]: secretsMap.aws: secret 'neat-aws' is not in secrets.json",
        ),
    ],
)
def test_broken_fixture(fixture: str, extra: list[str], expected: str) -> None:
    status, out, _ = check(ROOT / "fixtures" / fixture, "--format", "gcc", *extra, "ci.nix")
    assert status == 1
    assert [line for line in out.splitlines() if ": error[" in line] == [expected]


@pytest.mark.parametrize(
    "fixture",
    sorted(
        p.name
        for p in (ROOT / "fixtures").iterdir()
        if p.is_dir() and not p.name.startswith("broken-")
    ),
)
def test_working_fixture_has_no_errors(fixture: str) -> None:
    """With their own secrets.json: owner and repo are unknown here (no forge remote), so
    conditions that name them are not held against the files."""
    directory = ROOT / "fixtures" / fixture
    file = "flake.nix" if (directory / "flake.nix").exists() else "ci.nix"
    extra = ["--secrets", "secrets.json"] if (directory / "secrets.json").exists() else []
    status, out, _ = check(directory, "--format", "gcc", *extra, file)
    assert ": error[" not in out, out
    assert status == 0
