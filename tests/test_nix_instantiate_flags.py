"""nix-instantiate's options that scripts use, accepted by ``ci-eval --eval`` as Nix 2.8
accepts them: ``--xml`` (byte for byte), ``--no-location``, ``--eval-only``,
``--show-trace``/``--no-show-trace``, ``--read-write-mode``, ``--timeout N`` and ``--option
NAME VALUE``. Each case runs real ``nix-instantiate`` (the oracle) and ci-eval as
processes, with the same arguments, in the same directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_process import NIX_INSTANTIATE, ci_eval
from tests.cli_process import nix_instantiate as nix

pytestmark = pytest.mark.skipif(
    NIX_INSTANTIATE is None, reason="nix-instantiate (Nix 2.8) is not installed"
)

FILE = """\
{
  a = 1;
  b = [ "x" true null 1.5 ./p ];
  f = x: x;
  g = { y ? 1, ... }@z: y;
  h = builtins.map;
  l = [ 1 (x: x) ( { q }: q) ];
  s = "a <b> & \\"c\\"\\nd";
  d = derivation { name = "a"; system = "x"; builder = "b"; };
  n.m.o = { };
}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "f.nix").write_text(FILE)
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [
        ["--eval", "--xml", "--strict", "--no-location", "f.nix"],
        ["--eval", "--xml", "--no-location", "f.nix"],
        ["--eval", "--xml", "--strict", "f.nix", "-A", "l"],
        ["--eval", "--xml", "--strict", "f.nix", "-A", "g"],
        ["--eval", "--xml", "--strict", "f.nix", "-A", "n"],
        ["--eval", "--xml", "f.nix"],
        ["--eval", "--xml", "--strict", "--no-location", "-E", "(x: x) { a = 1; }"],
        ["--eval", "--xml", "-E", "x: x"],
        ["--eval", "--json", "--xml", "-E", "[ 1 ]"],
        ["--eval", "--xml", "--json", "-E", "[ 1 ]"],
        ["--eval-only", "--strict", "f.nix", "-A", "b"],
        ["--eval", "--show-trace", "--no-show-trace", "-E", "1"],
        ["--eval", "--read-write-mode", "-E", "1"],
        ["--eval", "--timeout", "1", "-E", "1"],
        [
            "--timeout",
            "1",
            "--eval-only",
            "--show-trace",
            "--read-write-mode",
            "--json",
            "-E",
            "{ a = 1; }",
            "-A",
            "a",
        ],
        ["--eval", "--option", "pure-eval", "false", "-E", "1 + 1"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_same_output_as_nix_instantiate(project: Path, argv: list[str]) -> None:
    expected = nix(project, *argv)
    assert expected[0] == 0, expected[2]
    status, out, err, _ = ci_eval(project, *argv)
    assert (status, out) == (0, expected[1]), err


def test_an_unknown_setting_is_accepted(project: Path) -> None:
    """Nix 2.8 warns of a setting it does not know and goes on; so does ci-eval (and
    says under --verbose that the option means nothing here; tests/test_nix_option_warning.py
    has the rules of the warning)."""
    argv = ["--eval", "--option", "abort-on-warn", "true", "-E", "1"]
    expected = nix(project, *argv)
    assert expected[:2] == (0, "1\n")
    assert ci_eval(project, *argv)[:3] == expected
    status, out, err, _ = ci_eval(project, "-v", *argv)
    assert (status, out) == (0, "1\n")
    assert "--option abort-on-warn: a Nix setting that means nothing here" in err


def test_experimental_features_by_option(project: Path) -> None:
    argv = [
        "--eval",
        "--option",
        "extra-experimental-features",
        "flakes",
        "-E",
        "builtins ? getFlake",
    ]
    assert nix(project, *argv)[:2] == (0, "true\n")
    assert ci_eval(project, *argv)[:2] == (0, "true\n")


def test_verbose_says_what_means_nothing(project: Path) -> None:
    status, out, err, _ = ci_eval(
        project, "--eval", "-v", "--timeout", "1", "--read-write-mode", "-E", "1"
    )
    assert (status, out) == (0, "1\n")
    assert "--timeout: Nix's build timeout; nothing is built here" in err
    assert "nothing is written to a store here" in err


def test_xml_and_option_are_refused_outside_eval(project: Path) -> None:
    for argv, message in (
        (["--xml", "f.nix"], "need --eval or --parse"),
        (["--option", "a", "b", "f.nix"], "--option is for --parse and --eval"),
    ):
        status, _, err, _ = ci_eval(project, *argv)
        assert status == 2 and message in err, err


def test_xml_positions_of_an_updated_set(project: Path) -> None:
    argv = ["--eval", "--xml", "--strict", "-E", "{ a = 1; } // { b = 2; }"]
    expected = nix(project, *argv)
    assert ci_eval(project, *argv)[:2] == (0, expected[1])


def test_toxml_is_unchanged_by_the_printer_options(project: Path) -> None:
    """builtins.toXML stays strict and without locations."""
    expr = 'builtins.toXML { a = x: x; b = [ (throw "no") ]; }'
    argv = ["--eval", "-E", f"builtins.tryEval ({expr})"]
    assert ci_eval(project, *argv)[:2] == (0, nix(project, *argv)[1])


@pytest.mark.parametrize(
    "argv",
    [
        ["--eval", "--strict", "--json", "-E", '{ a = 1; b = throw "x"; c = 2; }'],
        ["--eval", "--json", "-E", '{ a = 1; b = [ 1 (throw "x") ]; }'],
        ["--eval", "--strict", "--json", "-E", '{ a = 1; b = [ 1 (throw "x") ]; }'],
        ["--eval", "--strict", "--json", "-E", '[ 1 { a = throw "x"; } ]'],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_json_that_fails_midway_prints_what_nix_prints(project: Path, argv: list[str]) -> None:
    """Nix's JSON writer writes as it goes and closes what is open as the error unwinds:
    ``{"a":1,"b":}`` on stdout, then the error on stderr."""
    status, out, _ = nix(project, *argv)
    assert status == 1
    assert ci_eval(project, *argv)[:2] == (1, out)
