"""Nix's error text in nix-instantiate's modes: ``ci-eval --eval`` and ``--parse`` print
Nix 2.8's first line (``error: <message>``) word for word, for scripts that look for it;
ci-eval's code, position and hints follow. Each case runs real ``nix-instantiate`` (the
oracle) and ci-eval as processes, with the same arguments, in the same directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_process import NIX_INSTANTIATE, ci_eval, nix_instantiate

pytestmark = pytest.mark.skipif(
    NIX_INSTANTIATE is None, reason="nix-instantiate (Nix 2.8) is not installed"
)

FILE = "let f = { name }: name; in f { nme = 1; }\n"

CASES = [
    ["--eval", "-E", "let deploy = { agents = [ ]; }; in deploy.agentz"],
    ["--eval", "-E", "let pkgs = 1; in pkgz"],
    ["--eval", "-E", 'throw "no ${toString 1}"'],
    ["--eval", "-E", 'abort "stop"'],
    ["--eval", "-E", "assert 1 == 2; 3"],
    ["--eval", "-E", "let lib = { isString = x: false; }; in assert lib.isString 1; 1"],
    ["--eval", "-E", "assert (x: x) 1 > 2 || !true; 1"],
    ["--eval", "-E", "let f = { name }: name; in f { nme = 1; }"],
    ["--eval", "-E", "({ a }: a) { a = 1; b = 2; }"],
    ["--eval", "f.nix"],
    ["--eval", "-E", '{ a = 1; ${toString "a"} = 2; }'],
    ["--eval", "-E", "{ } < { }"],
    ["--eval", "-E", "(x: x) < (x: x)"],
    ["--eval", "-E", "1 + { }"],
    ["--eval", "-E", "if 1 then 2 else 3"],
    ["--eval", "-E", "let x = x; in x"],
    ["--eval", "-E", "1 / 0"],
    ["--eval", "-E", "import ./does-not-exist.nix"],
    ["--eval", "-E", "builtins.readFile ./does-not-exist.nix"],
    ["--eval", "-E", "builtins.sort 1 [ ]"],
    ["--parse", "-E", "{ a = 1; a = 2; }"],
    ["--parse", "-E", "let { a = 1; a = 2; }"],
    ["--parse", "-E", "{ x, x }: x"],
    ["--parse", "-E", "{ a.b = 1; a.b = 2; }"],
]


def first_error_line(stderr: str) -> str:
    return next((line for line in stderr.splitlines() if line.startswith("error")), "")


@pytest.mark.parametrize("argv", CASES, ids=lambda argv: " ".join(argv))
def test_first_line_is_nix_s(tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "f.nix").write_text(FILE)
    status, _, expected = nix_instantiate(tmp_path, *argv)
    assert status == 1
    status, _, err, _ = ci_eval(tmp_path, *argv)
    assert status == 1
    assert first_error_line(err) == first_error_line(expected), err
    # ci-eval's code follows the location, on the next line.
    assert err.splitlines()[1].startswith(" --> ") and err.splitlines()[1].endswith(")")


def test_from_json_syntax_error_is_nix_s(tmp_path: Path) -> None:
    argv = ["--eval", "-E", 'builtins.fromJSON "{"']
    expected = nix_instantiate(tmp_path, *argv)[2]
    assert first_error_line(ci_eval(tmp_path, *argv)[2]) == first_error_line(expected)
