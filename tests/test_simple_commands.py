"""`nixeval.effects.commands.simple_commands` against real bash: for texts of simple
commands, the argument lists are those bash runs (each command's words printed by bash
itself with the same environment); anything more is left a script (None)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from nixeval.effects.commands import simple_commands

ENV = {
    "networkFiles": "network.nix  network-aws.nix",
    "empty": "",
    "spaced": " a b ",
    "name": "neat",
}

SIMPLE = [
    "cachix deploy activate /nix/store/«cachix-deploy.json» --async\n",
    'echo -n "version: "\nnixops --version\n',
    "nixops deploy \\\n  --confirm \\\n  --allow-reboot \\\n   \\\n",
    "nixops create $networkFiles $empty\n",
    'nixops create "$networkFiles" "${name}-x"\n',
    "printf %s x$spaced'y'\n",
    "echo 'it''s' \"a \\\"b\\\" \\$c\" \\# # a comment\n",
    "",
    "# only a comment\n",
]

NOT_SIMPLE = [
    'export TOKEN="$(readSecretString activate .token)"\n',
    "if test -f x; then echo; fi\n",
    "netlify deploy --json | tee out.json\n",
    "nixops export >state.json\n",
    "ls *.nix\n",
    "echo $unknown\n",
    "echo ${name:-x}\n",
    "X=1 command\n",
    "a && b\n",
    "echo `date`\n",
    "[[ -n x ]]\n",
]


def bash_argv(text: str) -> list[list[str]]:
    """Each command of `text` as bash runs it: every line's words, printed NUL-separated
    by a function standing for the command."""
    lines = text.replace("\\\n", "").split("\n")
    script = "w() { printf '%s\\0' \"$@\"; printf '\\n'; }\n" + "".join(
        f"w {line}\n" for line in lines if line.strip() and not line.strip().startswith("#")
    )
    env = {"PATH": "/usr/bin:/bin", **ENV}
    out = subprocess.run(["bash", "-c", script], env=env, capture_output=True, check=True)
    return [
        [w.decode() for w in line.split(b"\0")[:-1]] for line in out.stdout.split(b"\n") if line
    ]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize("text", SIMPLE)
def test_simple_commands_are_what_bash_runs(text: str) -> None:
    assert simple_commands(text, ENV) == [c for c in bash_argv(text) if c]


@pytest.mark.parametrize("text", NOT_SIMPLE)
def test_more_than_simple_commands_stays_a_script(text: str) -> None:
    assert simple_commands(text, ENV) is None
