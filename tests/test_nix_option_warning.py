"""``--option NAME VALUE`` with a setting Nix 2.8 does not know: nix-instantiate warns
(``warning: unknown setting 'NAME'``) of those given before its first file or expression,
each once, in the order of their names, and goes on; so does ``ci-eval --eval``/``--parse``.
Each case runs real ``nix-instantiate`` (the oracle) and ci-eval as processes, with the same
arguments, in the same directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from nixeval.nix_settings import ALIASES, SETTINGS
from tests.cli_process import NIX_INSTANTIATE, ci_eval, nix_instantiate, nix_instantiate_run

pytestmark = pytest.mark.skipif(
    NIX_INSTANTIATE is None, reason="nix-instantiate (Nix 2.8) is not installed"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "f.nix").write_text("{ a = 1; }\n")
    return tmp_path


def unknown_setting_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: unknown setting")]


def test_every_setting_alias_and_extra_form(project: Path) -> None:
    """Every name Nix 2.8 knows, its aliases, ``extra-`` before each (known for the settings
    that hold lists), and a few it does not know: the same warnings, in the same order."""
    names = [*sorted(SETTINGS), *sorted(ALIASES)]
    names += [f"extra-{name}" for name in names]
    names += ["extra-", "extra-extra-platforms", "Cores", "abort-on-warn", "ssh-key"]
    argv = [word for name in names for word in ("--option", name, "")]
    argv += ["--eval", "-E", "1"]
    status, out, expected = nix_instantiate(project, *argv)
    assert (status, out) == (0, "1\n")
    status, out, err, _ = ci_eval(project, *argv)
    assert (status, out) == (0, "1\n")
    assert unknown_setting_lines(err) == unknown_setting_lines(expected)
    assert len(unknown_setting_lines(err)) > 60


@pytest.mark.parametrize(
    "argv",
    [
        ["--eval", "--option", "foo", "bar", "-E", "1"],
        ["--parse", "--option", "foo", "bar", "-E", "1"],
        # Only those before the first file or expression.
        ["--eval", "--option", "a", "1", "-E", "1", "--option", "b", "2"],
        ["--eval", "-E", "--option", "a", "1", "1", "--option", "b", "2"],
        ["--eval", "--option", "a", "1", "f.nix", "--option", "b", "2"],
        ["--eval", "-A", "a", "--option", "a", "1", "f.nix"],
        # Each once, in the order of their names.
        ["--eval", "--option", "zz", "1", "--option", "aa", "2", "--option", "zz", "3", "-E", "1"],
        # Aliases and extra- forms.
        [
            *("--eval", "--option", "extra-cores", "3", "--option", "extra-binary-caches", "x"),
            *("--option", "build-use-sandbox", "false", "-E", "1"),
        ],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_same_warnings_as_nix_instantiate(project: Path, argv: list[str]) -> None:
    expected = nix_instantiate(project, *argv)
    assert unknown_setting_lines(expected[2])
    status, out, err, _ = ci_eval(project, *argv)
    assert (status, out) == expected[:2], err
    assert unknown_setting_lines(err) == unknown_setting_lines(expected[2])


def test_warning_comes_before_an_error(project: Path) -> None:
    argv = ["--eval", "--option", "foo", "bar", "-E", "1x"]
    status, _, expected = nix_instantiate(project, *argv)
    assert status == 1
    status, _, err, _ = ci_eval(project, *argv)
    assert status == 1
    assert err.splitlines()[:2] == expected.splitlines()[:2]


def test_standard_input_is_not_a_file_here(project: Path) -> None:
    """``-`` (read standard input) does not end the settings that are checked."""
    argv = ["--eval", "-", "--option", "foo", "bar"]
    (project / "in.nix").write_text("1\n")
    with open(project / "in.nix", "rb") as stdin:
        done = nix_instantiate_run(project, *argv, stdin=stdin)
    assert unknown_setting_lines(done.stderr)
    with open(project / "in.nix", "rb") as stdin:
        status, out, err, _ = ci_eval(project, *argv, stdin=stdin.fileno())
    assert (status, out) == (done.returncode, done.stdout)
    assert unknown_setting_lines(err) == unknown_setting_lines(done.stderr)


@pytest.mark.xfail(
    strict=True,
    reason="ci-eval does not check the values of Nix's settings (Nix 2.8: "
    "\"warning: error: setting 'cores' has invalid value 'x'\")",
)
def test_an_invalid_value_is_warned_of(project: Path) -> None:
    argv = ["--eval", "--option", "cores", "x", "-E", "1"]
    expected = nix_instantiate(project, *argv)
    assert ci_eval(project, *argv)[:3] == expected
