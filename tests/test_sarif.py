"""`--format sarif`: SARIF 2.1.0 built from Diagnostics directly, validated against the
official OASIS schema (a copy in tests/data/), with UTF-16 columns; and the codes table
(`CODES`) is exactly the codes of docs/diagnostics.md and of the code that reports them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import nixeval
from nixeval.diagnostics import (
    CODES,
    RENDERERS,
    Diagnostic,
    Label,
    Severity,
    error,
    render_sarif,
    warning,
)
from nixeval.syntax.nodes import Span
from nixeval.syntax.source import Source

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
SHARED_SCHEMA = ROOT.parent / "shared" / "data" / "sarif-schema-2.1.0.json"

# Line 3 has an astral character (one Python character, two UTF-16 code units) before `y`,
# and line 2 BMP non-ASCII (one of each), so UTF-16 columns differ from character columns.
CI_NIX = 'let\n  grüße = "hi"; unused = 1;\nin "😀" + grüße + y\n'


def _span(text: str, needle: str) -> Span:
    start = text.index(needle)
    return Span(start, start + len(needle))


def _diagnostics() -> list[Diagnostic]:
    ci = Source("ci.nix", CI_NIX)
    nested = Source("nix/my ci:1.nix", "{\n  a = 1;\n  a = 2;\n}\n")
    absolute = Source("/nonexistent/dir/ci.nix", "")
    return [
        error(
            "E006",
            "undefined variable 'y'",
            ci,
            _span(CI_NIX, "y"),
            notes=["help: did you mean 'grüße'?", "the variable is used in a string"],
        ),
        warning(
            "W001",
            "unused let binding 'unused'",
            ci,
            _span(CI_NIX, "unused"),
            labels=[Label(_span(CI_NIX, "grüße"), "the binding before it, für Kontext")],
        ),
        error(
            "E003",
            "attribute 'a' already defined",
            nested,
            Span(nested.text.index("a", 5), nested.text.index("a", 5) + 1),
            labels=[Label(Span(4, 5), "first defined here")],
        ),
        # A span over several lines, a note-severity diagnostic with the same code.
        Diagnostic(Severity.NOTE, "E003", "the whole set", nested, Span(0, len(nested.text) - 1)),
        # No source text: the file could not be read; the region is line 1.
        error("E007", "cannot read '/nonexistent/dir/ci.nix': No such file", absolute, Span(0, 0)),
    ]


def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    # Every format jsonschema knows, whatever draft declared it: the SARIF schema's "uri"
    # and "uri-reference" are checked only when an RFC 3986 checker is installed, which the
    # test dependencies provide (rfc3986-validator), so make sure it is.
    checker = jsonschema.FormatChecker()
    assert {"uri", "uri-reference"} <= set(checker.checkers), (
        "install the test dependencies (pip install -e '.[test]'): "
        "checking URIs needs rfc3986-validator"
    )
    validator: jsonschema.protocols.Validator = cls(schema, format_checker=checker)
    return validator


@pytest.fixture(autouse=True)
def _in_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The diagnostics' relative names are relative to the working directory, and URIs to
    its repository root: run from the checkout's root, as CI does."""
    monkeypatch.chdir(ROOT)


def _valid(log: dict[str, Any]) -> dict[str, Any]:
    errors = sorted(_validator().iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    return log


def _render(diagnostics: list[Diagnostic]) -> dict[str, Any]:
    text = render_sarif(diagnostics, root=str(ROOT))
    assert text.endswith("\n")
    return _valid(json.loads(text))


def test_the_schema_copy_is_the_official_one() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft4Validator
    if not SHARED_SCHEMA.is_file():
        pytest.skip(f"{SHARED_SCHEMA} is not here to compare the copy with")
    assert SCHEMA.read_bytes() == SHARED_SCHEMA.read_bytes()


def test_sarif_is_registered_and_valid_for_no_diagnostics() -> None:
    assert RENDERERS["sarif"] is render_sarif
    log = _render([])
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []


def test_sarif_log_validates_and_says_everything() -> None:
    diagnostics = _diagnostics()
    log = _render(diagnostics)
    (run,) = log["runs"]
    assert run["columnKind"] == "utf16CodeUnits"
    driver = run["tool"]["driver"]
    assert driver["name"] == "ci-eval" and driver["version"] == nixeval.__version__
    assert "informationUri" not in driver  # the project has no public URL yet

    # One rule per code used, sorted; results point at them by id and index.
    assert [r["id"] for r in driver["rules"]] == ["E003", "E006", "E007", "W001"]
    assert driver["rules"][3] == {
        "id": "W001",
        "shortDescription": {"text": CODES["W001"]},
        "defaultConfiguration": {"level": "warning"},
    }
    assert driver["rules"][0]["defaultConfiguration"] == {"level": "error"}
    results = run["results"]
    assert len(results) == len(diagnostics)
    for result, d in zip(results, diagnostics, strict=True):
        assert result["ruleId"] == d.code
        assert driver["rules"][result["ruleIndex"]]["id"] == d.code
        assert result["level"] == d.severity.value
    undefined, unused, twice, whole, unreadable = results

    # The message keeps its notes as lines of its own, as the human format shows them.
    assert undefined["message"] == {
        "text": "undefined variable 'y'\n"
        "help: did you mean 'grüße'?\n"
        "note: the variable is used in a string"
    }
    # `y` is the 18th character of line 3 but the 19th UTF-16 code unit (😀 is two).
    assert undefined["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "ci.nix", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 3, "startColumn": 19, "endLine": 3, "endColumn": 20},
            }
        }
    ]
    assert "relatedLocations" not in undefined
    assert CI_NIX.splitlines()[2][17] == "y"

    # A label becomes a related location with its message; ü is one UTF-16 unit.
    assert unused["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 2,
        "startColumn": 17,
        "endLine": 2,
        "endColumn": 23,
    }
    assert unused["relatedLocations"] == [
        {
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "ci.nix", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 2, "startColumn": 3, "endLine": 2, "endColumn": 8},
            },
            "message": {"text": "the binding before it, für Kontext"},
        }
    ]

    # A relative name stays relative, percent-encoded: the space, and the colon too (which
    # in a first segment would read as a URI scheme).
    location = twice["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "nix/my%20ci%3A1.nix",
        "uriBaseId": "%SRCROOT%",
    }
    assert location["region"] == {"startLine": 3, "startColumn": 3, "endLine": 3, "endColumn": 4}
    assert twice["relatedLocations"][0]["message"] == {"text": "first defined here"}
    assert twice["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 2
    # A span over lines ends on its last line; endColumn is exclusive.
    assert whole["level"] == "note"
    assert whole["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1,
        "startColumn": 1,
        "endLine": 4,
        "endColumn": 2,
    }

    # An absolute name is a file:// URI; no source text still gives a region at line 1.
    assert unreadable["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "file:///nonexistent/dir/ci.nix"},
                "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
            }
        }
    ]


def test_sarif_output_is_deterministic() -> None:
    first = render_sarif(_diagnostics())
    assert render_sarif(_diagnostics()) == first
    assert "😀" not in first and "grüße" in first  # UTF-8 text, not \\u escapes


def test_sarif_columns_match_the_json_format() -> None:
    """SARIF's 1-based UTF-16 columns are the JSON format's 0-based LSP characters + 1."""
    for d in _diagnostics():
        [result] = _render([d])["runs"][0]["results"]
        region = result["locations"][0]["physicalLocation"]["region"]
        lsp = json.loads(RENDERERS["json"]([d]))[0]["range"]
        assert (region["startLine"], region["startColumn"]) == (
            lsp["start"]["line"] + 1,
            lsp["start"]["character"] + 1,
        )
        assert (region["endLine"], region["endColumn"]) == (
            lsp["end"]["line"] + 1,
            lsp["end"]["character"] + 1,
        )


# --- the codes table -----------------------------------------------------------------------

CODE = re.compile(r"^[EW]\d{3}$")


def _documented_codes() -> list[str]:
    text = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    return re.findall(r"^\| ([EW]\d{3}) \|", text, flags=re.MULTILINE)


def test_every_documented_code_is_in_codes_and_vice_versa() -> None:
    documented = _documented_codes()
    assert len(documented) == len(set(documented)), "a code is documented twice"
    assert set(documented) == set(CODES), (
        f"only in docs/diagnostics.md: {sorted(set(documented) - set(CODES))}; "
        f"only in CODES: {sorted(set(CODES) - set(documented))}"
    )
    for code, description in CODES.items():
        assert CODE.match(code) and description.strip(), code


def test_every_code_the_package_reports_is_in_codes() -> None:
    used: dict[str, str] = {}
    for path in sorted((ROOT / "nixeval").rglob("*.py")):
        for code in re.findall(r"""["']([EW]\d{3})["']""", path.read_text(encoding="utf-8")):
            used.setdefault(code, str(path.relative_to(ROOT)))
    missing = {code: where for code, where in used.items() if code not in CODES}
    assert not missing, f"codes used but not in CODES (and docs/diagnostics.md): {missing}"


# --- URIs relative to the repository root -------------------------------------------------


def _check_sarif(cwd: Path, *files: str) -> dict[str, Any]:
    """``ci-eval check --format sarif FILE…`` in a real process in `cwd`, validated."""
    proc = subprocess.run(
        [sys.executable, "-m", "nixeval", "check", "--format", "sarif", *files],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return _valid(json.loads(proc.stdout))


def _uris(log: dict[str, Any]) -> list[dict[str, str]]:
    return [
        location["physicalLocation"]["artifactLocation"]
        for result in log["runs"][0]["results"]
        for location in result["locations"]
    ]


def test_uris_are_relative_to_the_repository_root_from_any_directory(tmp_path: Path) -> None:
    """Code scanning resolves ``%SRCROOT%`` to the repository's root: run from a
    subdirectory or from the root, the log is the same, and a file outside the repository
    is an absolute file:// URI."""
    repo = tmp_path / "my repo"
    (repo / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for file in (repo / "sub" / "my ci.nix", repo / "top.nix", tmp_path / "outside.nix"):
        file.write_text("let unused = 1; in { }\n")  # a warning (W001) in each
    from_sub = _check_sarif(repo / "sub", "my ci.nix", "../top.nix", "../../outside.nix")
    from_root = _check_sarif(repo, "sub/my ci.nix", "top.nix", "../outside.nix")
    assert from_sub == from_root
    run = from_sub["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repo.as_uri() + "/"}}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/my%20repo/")
    assert _uris(from_sub) == [
        {"uri": "sub/my%20ci.nix", "uriBaseId": "%SRCROOT%"},
        {"uri": "top.nix", "uriBaseId": "%SRCROOT%"},
        {"uri": (tmp_path / "outside.nix").as_uri()},
    ]
    # Each relative URI resolved against %SRCROOT% is the file.
    from urllib.parse import unquote, urljoin, urlsplit

    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    for artifact, file in zip(
        _uris(from_sub), [repo / "sub" / "my ci.nix", repo / "top.nix"], strict=False
    ):
        assert unquote(urlsplit(urljoin(base, artifact["uri"])).path) == str(file)


def test_without_a_repository_the_root_is_the_working_directory(tmp_path: Path) -> None:
    assert not any((d / ".git").exists() for d in [tmp_path, *tmp_path.parents])
    (tmp_path / "ci.nix").write_text("let unused = 1; in { }\n")
    log = _check_sarif(tmp_path, "ci.nix")
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    assert _uris(log) == [{"uri": "ci.nix", "uriBaseId": "%SRCROOT%"}]
