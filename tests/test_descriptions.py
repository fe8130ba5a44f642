"""The main job: ``ci-eval FIXTURE -A ATTR`` on every sample project in fixtures/.

* Each case's JSON output is compared with its golden description in
  ``tests/golden/descriptions/`` (``UPDATE_GOLDEN=1`` rewrites them; review the diff), and
  every golden validates against the shipped schemas (``schemas/description.schema.json``).
* The seed's ``src.ref == "refs/heads/production"`` effect builds only its dependencies
  unless the checkout is the production branch.
* Every broken fixture gives its diagnostic: code, message, line:column.

Each case pretends a branch (``--as-branch``), so no output depends on this repository's
own git state; the git-derived checkout is tested in ``test_checkout_traverse.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from nixeval import checkout
from nixeval.cli import main
from nixeval.effects.validate import validate_document

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "descriptions"

REV = "0123456789abcdef0123456789abcdef01234567"
TYPICAL_SRC = f'{{ ref = "refs/heads/main"; rev = "{REV}"; }}'
PRODUCTION_SRC = f'{{ ref = "refs/heads/production"; rev = "{REV}"; }}'

# (golden name, command line); run from the repository root.
CASES: list[tuple[str, list[str]]] = [
    ("neat-network", ["fixtures/neat-network/ci.nix", "-A", "neat-network", "--as-branch", "main"]),
    (
        "neat-network-production",
        ["fixtures/neat-network/ci.nix", "-A", "neat-network", "--as-branch", "production"],
    ),
    ("cachix-deploy", ["fixtures/cachix-deploy/ci.nix", "-A", "deploy", "--as-branch", "main"]),
    # typical.nix reads src.rev: pass the whole src, as Hercules CI would.
    ("typical-main", ["fixtures/typical", "--as-branch", "main", "--arg", "src", TYPICAL_SRC]),
    (
        "typical-production",
        ["fixtures/typical/ci.nix", "--as-branch", "production", "--arg", "src", PRODUCTION_SRC],
    ),
    ("nixops-plain", ["fixtures/nixops-plain/ci.nix", "--as-branch", "main"]),
    ("nixops-secrets", ["fixtures/nixops-secrets/ci.nix", "--as-branch", "main"]),
    ("nixops-prebuild", ["fixtures/nixops-prebuild/ci.nix", "--as-branch", "main"]),
    ("nixops-production", ["fixtures/nixops-production/ci.nix", "--as-branch", "production"]),
    ("cachix-two-agents", ["fixtures/cachix-two-agents/ci.nix", "--as-branch", "main"]),
    ("cachix-custom-secret", ["fixtures/cachix-custom-secret/ci.nix", "--as-branch", "main"]),
    (
        "cachix-deploy-json-file",
        ["fixtures/cachix-deploy-json-file/ci.nix", "--as-branch", "main"],
    ),
    ("local-nix-pin", ["fixtures/local-nix-pin/ci.nix", "--as-branch", "main"]),
    ("flake-herculesci", ["fixtures/flake-herculesci/flake.nix", "--as-branch", "main"]),
    # Flakes whose inputs are not at hand here (tests/test_real_inputs.py has them): what a
    # user sees before `ci-eval fetch` — the unknowns listed, the inputs missing.
    ("flake-parts", ["fixtures/flake-parts", "--as-branch", "main"]),
    ("flake-parts-deploy", ["fixtures/flake-parts-deploy", "--as-branch", "main"]),
    ("flake-parts-release", ["fixtures/flake-parts-release", "--as-branch", "main"]),
    ("flake-utils", ["fixtures/flake-utils", "--as-branch", "main"]),
    ("flake-effects", ["fixtures/flake-effects", "--as-branch", "main"]),
    ("flake-compat", ["fixtures/flake-compat", "--as-branch", "main"]),
]


def run(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str, str]:
    status = main(args)
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.fixture(autouse=True)
def _from_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NIX_PATH", raising=False)


@pytest.mark.parametrize(("name", "args"), CASES, ids=[c[0] for c in CASES])
def test_description_matches_golden(
    name: str, args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # git would give `src.rev` (this repository's HEAD, even under --as-branch): without it
    # the commit is unknown, and the goldens do not change with every commit.
    monkeypatch.setattr(checkout, "GIT", "ci-eval-test-no-git")
    status, out, err = run(capsys, args)
    assert status == 0, err
    document = json.loads(out)
    assert validate_document(document) == []
    assert document["checkout"]["rev"] is None
    golden = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_every_golden_validates(golden: Path) -> None:
    assert validate_document(json.loads(golden.read_text(encoding="utf-8"))) == []


def test_every_fixture_has_a_golden() -> None:
    described = {args[0].split("/")[1] for _, args in CASES}
    projects = {p.name for p in (ROOT / "fixtures").iterdir() if p.is_dir()}
    assert projects - described == {p for p in projects if p.startswith("broken-")}


# --- the seed's production-only deployment ------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "mode"),
    [
        ([], "dependencies"),
        (["--as-branch", "main"], "dependencies"),
        (["--as-branch", "production"], "run"),
        (["--as-ref", "refs/heads/production"], "run"),
        (["--as-tag", "production"], "dependencies"),
    ],
)
def test_production_only_effect(
    flags: list[str],
    mode: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without --as-branch the checkout's own branch counts (here a git repository on
    `main`): the effect only builds its dependencies; as production it runs."""
    project = tmp_path / "neat"
    project.mkdir()
    for f in (ROOT / "fixtures" / "neat-network").iterdir():
        (project / f.name).write_bytes(f.read_bytes())
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "neat"], check=True)
    monkeypatch.chdir(project)
    status, out, err = run(capsys, ["-A", "neat-network", *flags])
    assert status == 0, err
    (effect,) = json.loads(out)["effects"]
    assert effect["mode"] == mode
    assert effect["runIf"]["expression"] == 'src.ref == "refs/heads/production"'
    assert effect["runIf"]["condition"] is (mode == "run")
    status, out, err = run(capsys, ["--list", "--format", "text", *flags])
    assert status == 0, err
    assert out.split()[:3] == [
        "neat-network",
        "runNixOps",
        "runs" if mode == "run" else "dependencies",
    ]


# --- broken fixtures ------------------------------------------------------------------------

BROKEN: list[tuple[str, list[str], str, str, str]] = [
    # fixture, extra arguments, code, message (a part of it), file:line:column
    (
        "broken-both-deploy-args",
        ["--as-branch", "main"],
        "E201",
        "effects.runCachixDeploy: you must set either `deploy` or `deployJsonFile`.",
        "ci.nix:",
    ),
    (
        "broken-deploy-agent-typo",
        ["--as-branch", "main"],
        "E208",
        "deploy.json needs `agents`",
        "ci.nix:",
    ),
    (
        "broken-networkfiles-typo",
        ["--as-branch", "main"],
        "E207",
        "runNixOps has no argument 'networkfiles'",
        "ci.nix:",
    ),
    (
        "broken-nixops-action",
        ["--as-branch", "main"],
        "E205",
        "runNixOps: 'swtich' is not an action",
        "ci.nix:",
    ),
    (
        "broken-nixops2-flake-and-files",
        ["--as-branch", "main"],
        "E203",
        "runNixOps2: pass either `flake` or `networkFiles`, not both",
        "flake.nix:",
    ),
    (
        "broken-runif-not-bool",
        ["--as-branch", "main"],
        "E206",
        "the runIf condition must be a Boolean, but it is a string",
        "ci.nix:",
    ),
    ("broken-syntax", ["--as-branch", "main"], "E002", "unexpected '='", "ci.nix:18:8"),
]


@pytest.mark.parametrize(
    ("fixture", "extra", "code", "message", "where"), BROKEN, ids=[b[0] for b in BROKEN]
)
def test_broken_fixture_diagnostic(
    fixture: str,
    extra: list[str],
    code: str,
    message: str,
    where: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, [f"fixtures/{fixture}", "--format", "json", *extra])
    assert status == 1
    assert out == ""
    gcc = _gcc(capsys, [f"fixtures/{fixture}", *extra])
    first = gcc.splitlines()[0]
    assert f"error[{code}]" in first, gcc
    assert message in first, gcc
    assert first.startswith(f"fixtures/{fixture}/{where}") or where in first, gcc


def _gcc(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    import io

    from nixeval.commands.describe import DescribeOptions, run_describe

    stdout, stderr = io.StringIO(), io.StringIO()
    options = DescribeOptions(
        file=args[0],
        as_branch=args[args.index("--as-branch") + 1] if "--as-branch" in args else None,
        diagnostics_format="gcc",
    )
    run_describe(options, stdout, stderr)
    return stderr.getvalue()


def test_arg_and_argstr_reach_the_top_level_function(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--arg/--argstr are passed as Hercules passes src (and override it)."""
    ci = ROOT / "fixtures" / "neat-network" / "ci.nix"
    status, out, err = run(
        capsys,
        [str(ci), "--as-branch", "main", "--arg", "src", '{ ref = "refs/heads/production"; }'],
    )
    assert status == 0, err
    assert json.loads(out)["effects"][0]["mode"] == "run"


def test_list_json_and_missing_attribute(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, ["fixtures/typical", "--list", "--as-branch", "main"])
    assert status == 0, err
    assert [(e["attrPath"], e["function"], e["mode"]) for e in json.loads(out)] == [
        ("production", "runNixOps", "dependencies"),
        ("staging", "runCachixDeploy", "run"),
    ]
    status, out, err = run(capsys, ["fixtures/typical", "-A", "stagin", "--as-branch", "main"])
    assert (status, out) == (1, "")
    assert "attribute 'stagin'" in err and "did you mean 'staging'?" in err


def test_no_ci_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, [str(tmp_path)])
    assert (status, out) == (1, "")
    assert "error[E007]" in err and "ci.nix" in err
