"""The semantic checks of effect calls (nixeval/effects/calls.py), one small ci.nix each:
the diagnostic's code, message and line:column, and that a good call passes.

The broken fixtures (tests/test_descriptions.py) cover the same checks on whole projects.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nixeval.cli import main
from nixeval.commands.describe import DescribeOptions, run_describe

PRELUDE = """\
{ src ? { ref = null; } }:
let
  effectsSrc = builtins.fetchTarball "https://example.invalid/effects.tar.gz";
  pkgs = import (builtins.fetchTarball "https://example.invalid/nixpkgs.tar.gz") {
    overlays = [ (import "${effectsSrc}/overlay.nix") ];
  };
  inherit (pkgs.effects) runIf runCachixDeploy runNixOps runNixOps2 mkEffect modularEffect runNixOS;
  machine = (pkgs.nixos ./configuration.nix).toplevel;
in
"""
BODY_LINE = PRELUDE.count("\n") + 1  # the line the body starts on


def describe(tmp_path: Path, body: str, *flags: str) -> tuple[int, str, str]:
    """Run the main job on PRELUDE + body; diagnostics in gcc format."""
    import io

    (tmp_path / "ci.nix").write_text(PRELUDE + body)
    stdout, stderr = io.StringIO(), io.StringIO()
    options = DescribeOptions(
        file=str(tmp_path / "ci.nix"),
        as_branch=flags[1] if flags[:1] == ("--as-branch",) else "main",
        list_only="--list" in flags,
        diagnostics_format="gcc",
    )
    status = run_describe(options, stdout, stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def diagnostic(err: str) -> tuple[str, str, int, int]:
    """(code, message, line, column) of the first gcc-format diagnostic."""
    first = err.splitlines()[0]
    location, _, rest = first.partition(": ")
    *_, line, column = location.split(":")
    severity_code, _, message = rest.partition(": ")
    code = severity_code.split("[")[1].rstrip("]")
    return code, message, int(line) - BODY_LINE + 1, int(column)


CASES = [
    (
        "neither deploy nor deployJsonFile",
        "{ d = runCachixDeploy { async = true; }; }\n",
        (
            "E202",
            "effects.runCachixDeploy: you must provide either a deploy or deployJsonFile argument.",
            1,
            23,
        ),
    ),
    (
        "runNixOps2 action without makeAnException",
        '{ d = runNixOps2 {\n  networkFiles = [ "n.nix" ];\n  nixops = pkgs.nixops;\n'
        '  action = "dry-run";\n}; }\n',
        (
            "E204",
            "The runNixOps2 action parameter is disabled until "
            "https://github.com/NixOS/nixops/issues/1499 is resolved.",
            4,
            3,
        ),
    ),
    (
        "runNixOps2 neither flake nor networkFiles",
        "{ d = runNixOps2 { nixops = pkgs.nixops; }; }\n",
        (
            "E203",
            "runNixOps2: pass `flake` (with nixopsConfigurations.default) or `networkFiles` "
            "(the library asserts `(flake == null) != (networkFiles == null)`)",
            1,
            18,
        ),
    ),
    (
        "runNixOps2 action typo",
        '{ d = runNixOps2 { networkFiles = [ "n.nix" ]; nixops = pkgs.nixops; action = "bot"; }; }\n',
        (
            "E205",
            "runNixOps2: 'bot' is not an action; it must be one of switch, dry-run, plan, "
            "build, create, copy, dry-activate, test, boot",
            1,
            70,
        ),
    ),
    (
        "secretsMap with an unknown type",
        '{ d = mkEffect {\n  secretsMap.token = { type = "Token"; };\n}; }\n',
        (
            "E210",
            'secretsMap.token has the type "Token", which is unknown; it must be "GitToken"',
            2,
            3,
        ),
    ),
    (
        "secretsMap with a number",
        "{ d = mkEffect { secretsMap = { token = 1; }; }; }\n",
        ("E210", "secretsMap.token is an integer, neither a string nor an attribute set", 1, 33),
    ),
    (
        "runCachixDeploy argument typo",
        "{ d = runCachixDeploy { deploy.agents.m = machine; asnyc = true; }; }\n",
        ("E207", "runCachixDeploy has no argument 'asnyc'", 1, 52),
    ),
    (
        "deploy without agents",
        '{ d = runCachixDeploy { deploy.rollbackScript.x86_64-linux = "x"; }; }\n',
        ("E208", "deploy.json needs `agents` (agent name -> the store path it activates)", 1, 25),
    ),
    (
        "runIf on an integer",
        "{ d = runIf 1 (mkEffect { }); }\n",
        ("E206", "the runIf condition must be a Boolean, but it is an integer", 1, 13),
    ),
    (
        "runIf on the checkout when it is not known",
        '{ d = runIf (src.ref == "refs/heads/main") (mkEffect { }); }\n',
        None,  # see test_unknown_branch_needs_as_branch
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [c[1:] for c in CASES if c[2]], ids=[c[0] for c in CASES if c[2]]
)
def test_check(tmp_path: Path, body: str, expected: tuple[str, str, int, int]) -> None:
    status, out, err = describe(tmp_path, body)
    assert status == 1 and out == ""
    assert diagnostic(err) == expected, err


def test_unknown_branch_needs_as_branch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Outside git and without --as-*, src.ref is unknown: comparing it stops, at the
    condition, and says how to supply it."""
    (tmp_path / "ci.nix").write_text(PRELUDE + CASES[-1][1])
    status = main([str(tmp_path / "ci.nix")])
    err = capsys.readouterr().err
    assert status == 1
    assert "error[E111]" in err and "src.ref" in err and "--as-branch" in err
    assert f"ci.nix:{BODY_LINE}:13" in err


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            '{ d = runCachixDeploy { deploy.agents.m = machine; userSetupScript = "x"; }; }\n',
            "W201",
            "runCachixDeploy ignores the argument 'userSetupScript'",
        ),
        (
            '{ d = runCachixDeploy { deploy.agents.m = machine; name = "x"; }; }\n',
            "W201",
            "runCachixDeploy ignores the argument 'name'",
        ),
        (
            '{ d = runNixOps { name = "n"; src = ./.; effectScript = "x"; }; }\n',
            "W201",
            "runNixOps ignores the argument 'effectScript'",
        ),
        (
            '{ d = runNixOps { name = "n"; src = ./.; allowReboot = false; }; }\n',
            "W202",
            "runNixOps (NixOps 1.x) does not take 'allowReboot'",
        ),
    ],
)
def test_warning_keeps_the_description(tmp_path: Path, body: str, code: str, message: str) -> None:
    status, out, err = describe(tmp_path, body)
    assert status == 0, err
    assert json.loads(out)["effects"][0]["attrPath"] == "d"
    got_code, got_message, line, _ = diagnostic(err)
    assert (got_code, line) == (code, 1) and got_message.startswith(message), err


def test_good_calls_pass(tmp_path: Path) -> None:
    body = """{
  a = runIf true (runNixOps2 {
    networkFiles = [ "nixops.nix" ];
    nixops = pkgs.nixops;
    action = "dry-run";
    makeAnException = "I know this can corrupt the state, until https://github.com/NixOS/nixops/issues/1499 is resolved.";
    extraDeployArgs = [ "--include" "web" ];
  });
  b = mkEffect {
    name = "hello";
    secretsMap.token = { type = "GitToken"; };
    secretsMap.ssh = "deploy-key";
    userSetupScript = "writeSSHKey ssh";
    effectScript = "echo $FOO";
    FOO = "bar";
    preEffect = "echo before";
  };
  c = runNixOS { configuration = ./configuration.nix; ssh.destination = "root@example.invalid"; };
}
"""
    status, out, err = describe(tmp_path, body)
    assert (status, err) == (0, "")
    a, b, c = json.loads(out)["effects"]
    assert a["details"]["deployArgs"] == [
        "--dry-run",
        "--allow-reboot",
        "--allow-recreate",
        "--include",
        "web",
    ]
    assert a["phases"]["effect"] == [
        {"run": ["nixops", "deploy", "--confirm", *a["details"]["deployArgs"]]}
    ]
    assert b["name"] == "effect-hello"
    assert b["secretsMap"] == {"ssh": "deploy-key", "token": {"type": "GitToken"}}
    assert b["secrets"][0] == {
        "name": "ssh",
        "secret": "deploy-key",
        "fields": ["privateKey"],
    }
    assert b["env"] == {"FOO": "bar"}
    assert b["phases"] == {
        "userSetup": [{"script": "writeSSHKey ssh", "from": "userSetupScript"}],
        "effect": [
            {"script": "echo before", "from": "preEffect"},
            {"script": "echo $FOO", "from": "effectScript"},
        ],
    }
    assert c["function"] == "runNixOS" and "notModelled" in c and c["phases"] == {}
