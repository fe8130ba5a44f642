"""The upstream Nix language test suite, run against ci-eval with Nix 2.8 as the oracle.

The suite is LGPL, so it is never copied here: set ``NIX_LANG_TESTS=DIR`` to the directory
holding its test files (``tests/lang`` of a Nix 2.8 source tree, or ``tests/functional/lang``
of a newer NixOS/nix checkout); without it the suite tests are skipped with that reason.

Every upstream test file is one test, whose id is the test's base name
(``eval-okay-arithmetic``), run as Nix's ``tests/lang.sh`` runs it: from DIR's parent, with
``TEST_VAR=foo``, ``NIX_REMOTE=dummy://``, no ``NIX_PATH`` but for eval-okay tests'
``NIX_PATH=lang/dir3:lang/dir4``, the ``.flags`` file's flags, and the file path as
``lang/NAME.nix`` (outputs can contain it). ``nix-instantiate`` on PATH (Nix 2.8) runs first,
once per test; a test counts only if Nix 2.8 passes it itself, and is otherwise skipped with
the reason "Nix 2.8 fails it". Then ``python -m nixeval`` runs with the same argv, environment,
working directory and stdin, as a user's script would run it:

- eval-okay: ``FLAGS --eval --strict lang/NAME.nix``; stdout must equal ``NAME.exp`` byte for
  byte. Where ``NAME.exp.xml`` exists, ``--eval --xml --no-location --strict`` must print it
  byte for byte too. eval-okay files with neither (disabled upstream) are not collected.
- eval-fail: ``--eval lang/NAME.nix`` (newer suites: the ``.flags`` file, or
  ``--eval --strict --show-trace``); ci-eval must exit non-zero with an error of the same kind
  as Nix's (:func:`error_kind`): the same thrown text, the same missing attribute, the same
  pair of types, and so on. Where the kinds differ, both messages are shown.
- parse-okay / parse-fail: ``--parse -`` with the file on stdin; the exit status must agree.
  ci-eval's ``--parse`` prints its own form of the expression, not Nix's, so a ``.exp`` of a
  parse-okay test (newer suites have them) is not compared, for Nix 2.8 either.

Newer suites (recognised by their ``*.err.exp`` files) follow their own lang.sh: eval-okay runs
have ``HOME=/fake-home``, the working directory in stdout reads ``/pwd``, and ``.flags`` files
may hold ``#`` comments; their ``.err.exp`` files (expected stderr) are not compared.

There is no list of known differences: a ci-eval failure is a failed test, so
``pytest -rA tests/test_nix_lang_suite.py`` counts give passed / failed / skipped (the
skips' reasons say "Nix 2.8 fails it"). Each process is killed after 60 s.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pytest

SUITE_VARIABLE = "NIX_LANG_TESTS"
TIMEOUT_S = 60.0
NIX_FAILS = "Nix 2.8 fails it"
TRACEBACK = "Traceback (most recent call last)"
KINDS = ("parse-okay", "parse-fail", "eval-okay", "eval-fail")


# --------------------------------------------------------------------------
# what to run: the suite's tests and lang.sh's command lines


@dataclass(frozen=True)
class Suite:
    """DIR of ``NIX_LANG_TESTS``: tests are run from its parent, naming files DIR's name/."""

    directory: Path
    newer: bool  # the tests/functional/lang layout of newer NixOS/nix checkouts

    @classmethod
    def at(cls, directory: Path) -> Suite:
        directory = directory.resolve()
        return cls(directory, newer=any(directory.glob("*.err.exp")))

    @property
    def cwd(self) -> Path:
        return self.directory.parent

    def relative(self, file_name: str) -> str:
        return f"{self.directory.name}/{file_name}"

    def flags(self, name: str) -> list[str] | None:
        """The words of NAME.flags (None without one), split as the shell splits lang.sh's
        unquoted ``$flags``. Flags name files as ``lang/…``: where DIR has another name, the
        prefix follows it so that the paths still resolve from DIR's parent."""
        path = self.directory / f"{name}.flags"
        if not path.is_file():
            return None
        text = path.read_text(encoding="utf-8")
        if self.newer:  # newer lang.sh: `sed -e 's/#.*//'`
            text = re.sub(r"#.*", "", text)
        if self.directory.name != "lang":
            text = re.sub(r"(?<![\w./-])lang/", f"{self.directory.name}/", text)
        return text.split()


class Run(NamedTuple):
    """One nix-instantiate command line of lang.sh (argv without the program name)."""

    argv: tuple[str, ...]
    env: dict[str, str]  # added to the common environment
    stdin: Path | None = None
    expected: Path | None = None  # stdout must equal this file


@dataclass(frozen=True)
class LangCase:
    """One upstream test file, NAME.nix, of kind parse-okay, parse-fail, eval-okay or
    eval-fail."""

    suite: Suite
    name: str
    kind: str
    runs: tuple[Run, ...] = field(default=())

    @property
    def okay(self) -> bool:
        return self.kind.endswith("-okay")


def lang_runs(suite: Suite, name: str, kind: str) -> tuple[Run, ...]:
    """lang.sh's command lines for NAME.nix (none for an eval-okay test without an
    expected output: lang.sh runs nothing for it)."""
    source = suite.directory / f"{name}.nix"
    path = suite.relative(f"{name}.nix")
    if kind.startswith("parse-"):
        return (Run(("--parse", "-"), {}, stdin=source),)
    if kind == "eval-fail":
        flags = suite.flags(name) if suite.newer else None
        if flags is None:
            flags = ["--eval", "--strict", "--show-trace"] if suite.newer else ["--eval"]
        return (Run((*flags, path), {}),)
    runs: list[Run] = []
    exp = suite.directory / f"{name}.exp"
    if exp.is_file():
        env = {"NIX_PATH": f"{suite.relative('dir3')}:{suite.relative('dir4')}"}
        if suite.newer:
            env["HOME"] = "/fake-home"
        flags = suite.flags(name) or []
        runs.append(Run((*flags, "--eval", "--strict", path), env, expected=exp))
    xml = suite.directory / f"{name}.exp.xml"
    if xml.is_file():
        argv = ("--eval", "--xml", "--no-location", "--strict", path)
        runs.append(Run(argv, {}, expected=xml))
    return tuple(runs)


def collect(directory: Path) -> list[LangCase]:
    """Every test of the suite in DIR, by kind then name."""
    suite = Suite.at(directory)
    cases: list[LangCase] = []
    for kind in KINDS:
        for source in sorted(suite.directory.glob(f"{kind}-*.nix")):
            name = source.name[: -len(".nix")]
            runs = lang_runs(suite, name, kind)
            if runs:
                cases.append(LangCase(suite, name, kind, runs))
    return cases


def _params() -> list[object]:
    value = os.environ.get(SUITE_VARIABLE, "")
    if not value:
        reason = f"{SUITE_VARIABLE} is not set (DIR holding Nix's eval-*/parse-* tests)"
        return [pytest.param(None, id="unset", marks=pytest.mark.skip(reason=reason))]
    directory = Path(value)
    cases = collect(directory) if directory.is_dir() else []
    if not cases:  # a wrong path must not pass as "nothing to test"
        return [pytest.param(directory, id="no-tests")]
    return [pytest.param(case, id=case.name) for case in cases]


# --------------------------------------------------------------------------
# running Nix and ci-eval


class Outcome(NamedTuple):
    status: int | None  # None: killed after TIMEOUT_S
    stdout: bytes
    stderr: str


def environment(suite: Suite, run: Run, home: Path) -> dict[str, str]:
    """lang.sh's environment (common.sh's, without a test store): no NIX_* of this
    process, TEST_VAR=foo for eval-okay-getenv, the dummy store, an empty HOME and
    configuration directory; then the run's own variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NIX")}
    for name in ("XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_CACHE_HOME"):
        env.pop(name, None)
    env.update(
        TEST_VAR="foo",
        NIX_REMOTE="dummy://",
        HOME=str(home),
        NIX_CONF_DIR=str(home / "etc"),
    )
    env.update(run.env)
    return env


def execute(program: list[str], suite: Suite, run: Run, home: Path) -> Outcome:
    env = environment(suite, run, home)
    stdin = run.stdin.open("rb") if run.stdin is not None else subprocess.DEVNULL
    try:
        done = subprocess.run(
            [*program, *run.argv],
            cwd=suite.cwd,
            env=env,
            stdin=stdin,
            capture_output=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return Outcome(None, exc.stdout or b"", (exc.stderr or b"").decode(errors="replace"))
    finally:
        if run.stdin is not None and not isinstance(stdin, int):
            stdin.close()
    stdout = done.stdout
    if suite.newer:  # newer lang.sh: sed "s!$(pwd)!/pwd!g"
        stdout = stdout.replace(os.fsencode(suite.cwd), b"/pwd")
    return Outcome(done.returncode, stdout, done.stderr.decode(errors="replace"))


@functools.cache
def nix_instantiate() -> str | None:
    """nix-instantiate on PATH when it is Nix 2.8 (the oracle), else None."""
    exe = shutil.which("nix-instantiate")
    if exe is None:
        return None
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    return exe if re.search(r"\b2\.8\.", version.stdout) else None


CI_EVAL = [sys.executable, "-m", "nixeval"]


def shell_line(suite: Suite, run: Run, program: str) -> str:
    """The command, for a person to run it again."""
    env = " ".join(
        f"{k}={shlex.quote(v)}"
        for k, v in {"TEST_VAR": "foo", "NIX_REMOTE": "dummy://", **run.env}.items()
    )
    argv = " ".join(shlex.quote(a) for a in run.argv)
    stdin = f" < {shlex.quote(suite.relative(run.stdin.name))}" if run.stdin else ""
    return f"cd {shlex.quote(str(suite.cwd))} && {env} {program} {argv}{stdin}"


# --------------------------------------------------------------------------
# kinds of error

ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
ERROR_LINE_RE = re.compile(r"^error(?:\[[A-Z]\d+\])?: (.*)$")
_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("abort", r"^evaluation aborted with the following error message: '(.*)'$"),
        ("assertion", r"^assertion\b.*\bfailed\b"),
        ("type", r"^value is (.+?) while (.+?) was expected"),
        ("missing-attribute", r"^attribute '(.*)' missing"),
        ("duplicate-attribute", r"^attribute '(.*)' already defined"),
        ("undefined-variable", r"^undefined variable '(.*)'"),
        ("infinite-recursion", r"^infinite recursion encountered"),
        ("missing-argument", r"called without required argument '(.*)'"),
        ("unexpected-argument", r"called with unexpected argument '(.*)'"),
        ("not-a-function", r"^attempt to call something which is not a function but (.+?)$"),
        ("coercion", r"^cannot coerce (.+?) to a string"),
        ("division-by-zero", r"^division by zero"),
        ("index-out-of-bounds", r"^list index (-?\d+) is out of bounds"),
        ("syntax", r"^syntax error\b"),
    )
)


def first_error_line(stderr: str) -> str | None:
    """The first ``error: …`` line of Nix's stderr, or ``error[CODE]: …`` of ci-eval's
    (so that warnings and traces printed before it do not count)."""
    for line in ANSI_RE.sub("", stderr).splitlines():
        if ERROR_LINE_RE.match(line):
            return line
    return None


def error_kind(line: str | None) -> tuple[str, str]:
    """The kind of an error, from the first error line of Nix 2.8 (``error: MESSAGE``) or of
    ci-eval (``error[CODE]: MESSAGE`` or ``error: MESSAGE``), as ``(kind, detail)``.

    Kinds are abort, assertion, type, missing-attribute, duplicate-attribute,
    undefined-variable, infinite-recursion, missing-argument, unexpected-argument,
    not-a-function, coercion, division-by-zero, index-out-of-bounds and syntax; the detail
    is what must agree besides the kind: the aborted text, the attribute, variable or
    argument name, the two types of a type error, what could not be called or coerced, the
    index. Nix's wording of the rest (the function's position in an argument error, the
    rendering of an assertion's condition, the token of a syntax error) may differ.
    Nix 2.8 prints a ``throw``'s text alone after ``error: ``, so any other message — thrown
    text, a missing file, a builtin's complaint — is the kind "message" with the whole
    message as the detail: it must be the same words. No error line is ("none", "").
    """
    if line is None:
        return ("none", "")
    match = ERROR_LINE_RE.match(ANSI_RE.sub("", line))
    message = (match.group(1) if match else line).strip()
    for kind, pattern in _KIND_PATTERNS:
        found = pattern.search(message)
        if found:
            return (kind, " / ".join(found.groups()))
    return ("message", message)


# --------------------------------------------------------------------------
# verdicts


def nix_verdict(case: LangCase, outcomes: list[Outcome]) -> str | None:
    """Why Nix 2.8 fails the test itself, or None when it passes it."""
    for run, outcome in zip(case.runs, outcomes, strict=True):
        if outcome.status is None:
            return f"did not finish within {TIMEOUT_S:.0f} s"
        if case.okay and outcome.status != 0:
            line = first_error_line(outcome.stderr) or outcome.stderr.strip()[:200]
            return f"exit {outcome.status}: {line}"
        if not case.okay and outcome.status == 0:
            return "exit 0"
        if run.expected is not None and outcome.stdout != run.expected.read_bytes():
            return f"stdout differs from {run.expected.name}"
    return None


def _diff(expected: bytes, got: bytes, limit: int = 40) -> str:
    lines = difflib.unified_diff(
        expected.decode(errors="replace").splitlines(keepends=True),
        got.decode(errors="replace").splitlines(keepends=True),
        "expected",
        "ci-eval",
    )
    shown = list(lines)
    more = f"... ({len(shown) - limit} more diff lines)\n" if len(shown) > limit else ""
    return "".join(shown[:limit]) + more


def ci_eval_failure(case: LangCase, run: Run, nix: Outcome, ours: Outcome) -> str | None:
    """Why ci-eval fails the test on this run (Nix 2.8 having passed it), or None."""
    if ours.status is None:
        return f"ci-eval did not finish within {TIMEOUT_S:.0f} s"
    if TRACEBACK in ours.stderr:
        return f"ci-eval crashed with a Python traceback:\n{ours.stderr}"
    if case.okay:
        if ours.status != 0:
            return f"ci-eval exited {ours.status} where Nix 2.8 succeeds:\n{ours.stderr}"
        if run.expected is not None:
            expected = run.expected.read_bytes()
            if ours.stdout != expected:
                return f"stdout differs from {run.expected.name}:\n{_diff(expected, ours.stdout)}"
        return None
    if ours.status == 0:
        return f"ci-eval exited 0 where Nix 2.8 fails; it printed {ours.stdout[:500]!r}"
    if case.kind == "eval-fail":
        nix_line, our_line = first_error_line(nix.stderr), first_error_line(ours.stderr)
        if error_kind(nix_line) != error_kind(our_line):
            return (
                f"error of another kind: Nix {error_kind(nix_line)}, "
                f"ci-eval {error_kind(our_line)}\n"
                f"Nix 2.8: {nix_line}\nci-eval: {our_line or ours.stderr.strip()}"
            )
    return None


# --------------------------------------------------------------------------
# the suite


@pytest.mark.parametrize("case", _params())
def test_upstream(case: LangCase | Path, tmp_path: Path) -> None:
    if not isinstance(case, LangCase):
        pytest.fail(f"{SUITE_VARIABLE}={case} holds no eval-*/parse-* Nix language tests")
    nix = nix_instantiate()
    if nix is None:
        pytest.skip("nix-instantiate of Nix 2.8 is not on PATH (the oracle)")
    (tmp_path / "home").mkdir()
    home = tmp_path / "home"
    nix_outcomes = [execute([nix], case.suite, run, home) for run in case.runs]
    why = nix_verdict(case, nix_outcomes)
    if why is not None:
        pytest.skip(f"{NIX_FAILS}: {why}")
    for run, nix_outcome in zip(case.runs, nix_outcomes, strict=True):
        ours = execute(CI_EVAL, case.suite, run, home)
        failure = ci_eval_failure(case, run, nix_outcome, ours)
        if failure is not None:
            pytest.fail(
                f"{case.kind} {case.name}: {failure}\n$ {shell_line(case.suite, run, 'ci-eval')}"
            )


# --------------------------------------------------------------------------
# the harness itself (these run without NIX_LANG_TESTS)


def _write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text, encoding="utf-8")
    return directory


@pytest.mark.parametrize(
    ("nix_line", "ci_eval_line"),
    [
        ("error: boom", "error[E101]: boom"),
        ("error: boom", "error: boom"),
        (
            "error: evaluation aborted with the following error message: 'foo'",
            "error[E103]: evaluation aborted with the following error message: 'foo'",
        ),
        (
            "error: assertion '(arg == \"y\")' failed",
            "error[E102]: assertion 'arg == \"y\"' failed",
        ),
        (
            "error: value is an integer while a string was expected",
            "error[E104]: value is an integer while a string was expected, in `x`",
        ),
        ("error: attribute 'x' missing", "error[E105]: attribute 'x' missing (did you mean 'y'?)"),
        ("error: undefined variable 'q'", "error[E107]: undefined variable 'q'"),
        ("error: infinite recursion encountered", "error[E106]: infinite recursion encountered"),
        (
            "error: anonymous function at /d/f.nix:1:2 called without required argument 'y'",
            "error[E108]: anonymous function called without required argument 'y'",
        ),
        (
            "error: function 'f' at /d/f.nix:1:2 called with unexpected argument 'y'",
            "error[E108]: function 'f' called with unexpected argument 'y'",
        ),
        (
            "error: cannot coerce a function to a string",
            "error[E104]: cannot coerce a function to a string",
        ),
        ("error: division by zero", "error[E109]: division by zero"),
        (
            "error: syntax error, unexpected '}'",
            "error[E001]: syntax error, unexpected '}', expecting ID",
        ),
        ("error: \x1b[35;1mboom\x1b[0m", "error[E101]: boom"),
    ],
)
def test_error_kind_same(nix_line: str, ci_eval_line: str) -> None:
    assert error_kind(nix_line) == error_kind(ci_eval_line)
    assert error_kind(nix_line)[0] != "none"


@pytest.mark.parametrize(
    ("nix_line", "ci_eval_line"),
    [
        ("error: boom", "error[E101]: bang"),
        ("error: evaluation aborted with the following error message: 'a'", "error: a"),
        (
            "error: value is an integer while a string was expected",
            "error[E104]: value is an integer while a function was expected",
        ),
        (
            "error: value is a set while a string was expected",
            "error[E104]: cannot coerce a set to a string",
        ),
        ("error: attribute 'x' missing", "error[E105]: attribute 'y' missing"),
        ("error: attribute 'x' missing", "error[E107]: undefined variable 'x'"),
        ("error: infinite recursion encountered", "error[E100]: stack overflow"),
        ("error: infinite recursion encountered", None),
        (
            "error: anonymous function at /d/f.nix:1:2 called without required argument 'y'",
            "error[E108]: anonymous function called with unexpected argument 'y'",
        ),
    ],
)
def test_error_kind_differs(nix_line: str, ci_eval_line: str | None) -> None:
    assert error_kind(nix_line) != error_kind(ci_eval_line)


def test_first_error_line_skips_traces_and_warnings() -> None:
    stderr = "trace: hello\nwarning: error: not this\nerror[E101]: boom\n --> f.nix:1:1\n"
    assert first_error_line(stderr) == "error[E101]: boom"
    assert first_error_line("trace: error: x\n") is None
    assert error_kind(first_error_line("Traceback (most recent call last):\n")) == ("none", "")


def test_collect_nix_2_8_layout(tmp_path: Path) -> None:
    lang = _write(
        tmp_path / "tests" / "lang",
        {
            "eval-okay-a.nix": "1",
            "eval-okay-a.exp": "1\n",
            "eval-okay-a.flags": "--arg x import(lang/lib.nix) -I dir5=lang/dir3\n",
            "eval-okay-b.nix": "1",  # no .exp: lang.sh runs nothing
            "eval-okay-c.nix": "1",
            "eval-okay-c.exp.xml": "<expr/>",
            "eval-fail-d.nix": 'throw "d"',
            "eval-fail-d.flags": "--strict",  # 2.8's lang.sh ignores flags of eval-fail tests
            "parse-okay-e.nix": "1",
            "parse-fail-f.nix": "{",
            "lib.nix": "{}",
        },
    )
    cases = {case.name: case for case in collect(lang)}
    assert list(cases) == [
        "parse-okay-e",
        "parse-fail-f",
        "eval-okay-a",
        "eval-okay-c",
        "eval-fail-d",
    ]
    assert not cases["eval-okay-a"].suite.newer
    assert cases["eval-okay-a"].suite.cwd == tmp_path / "tests"
    assert cases["eval-okay-a"].runs == (
        Run(
            (
                *("--arg", "x", "import(lang/lib.nix)", "-I", "dir5=lang/dir3"),
                *("--eval", "--strict", "lang/eval-okay-a.nix"),
            ),
            {"NIX_PATH": "lang/dir3:lang/dir4"},
            expected=lang / "eval-okay-a.exp",
        ),
    )
    assert cases["eval-okay-c"].runs == (
        Run(
            ("--eval", "--xml", "--no-location", "--strict", "lang/eval-okay-c.nix"),
            {},
            expected=lang / "eval-okay-c.exp.xml",
        ),
    )
    assert cases["eval-fail-d"].runs == (Run(("--eval", "lang/eval-fail-d.nix"), {}),)
    assert cases["parse-fail-f"].runs == (
        Run(("--parse", "-"), {}, stdin=lang / "parse-fail-f.nix"),
    )


def test_collect_newer_layout(tmp_path: Path) -> None:
    lang = _write(
        tmp_path / "functional" / "lang",
        {
            "eval-okay-a.nix": "1",
            "eval-okay-a.exp": "1\n",
            "eval-okay-a.err.exp": "",
            "eval-okay-a.flags": "--argstr x y # a comment\n",
            "eval-fail-b.nix": 'throw "b"',
            "eval-fail-b.err.exp": "error: b\n",
            "eval-fail-c.nix": "1",
            "eval-fail-c.flags": "# why\n--eval --json\n",
            "parse-okay-d.nix": "1",
            "parse-okay-d.exp": "1\n",
        },
    )
    cases = {case.name: case for case in collect(lang)}
    assert cases["eval-okay-a"].suite.newer
    assert cases["eval-okay-a"].runs == (
        Run(
            ("--argstr", "x", "y", "--eval", "--strict", "lang/eval-okay-a.nix"),
            {"NIX_PATH": "lang/dir3:lang/dir4", "HOME": "/fake-home"},
            expected=lang / "eval-okay-a.exp",
        ),
    )
    assert cases["eval-fail-b"].runs == (
        Run(("--eval", "--strict", "--show-trace", "lang/eval-fail-b.nix"), {}),
    )
    assert cases["eval-fail-c"].runs == (Run(("--eval", "--json", "lang/eval-fail-c.nix"), {}),)
    # ci-eval's --parse prints its own form: a parse-okay .exp is not compared
    assert cases["parse-okay-d"].runs == (
        Run(("--parse", "-"), {}, stdin=lang / "parse-okay-d.nix"),
    )


def test_paths_follow_the_directory_name(tmp_path: Path) -> None:
    lang = _write(
        tmp_path / "lang-2.8",
        {
            "eval-okay-a.nix": "1",
            "eval-okay-a.exp": "1\n",
            "eval-okay-a.flags": "--arg lib import(lang/lib.nix) -I lang/dir1 -I dir5=lang/dir3",
        },
    )
    (case,) = collect(lang)
    assert case.runs[0].argv == (
        *("--arg", "lib", "import(lang-2.8/lib.nix)", "-I", "lang-2.8/dir1", "-I"),
        *("dir5=lang-2.8/dir3", "--eval", "--strict", "lang-2.8/eval-okay-a.nix"),
    )
    assert case.runs[0].env == {"NIX_PATH": "lang-2.8/dir3:lang-2.8/dir4"}


def _case(tmp_path: Path, kind: str, exp: str | None = None) -> LangCase:
    files = {f"{kind}-x.nix": "1"} | ({f"{kind}-x.exp": exp} if exp is not None else {})
    (case,) = collect(_write(tmp_path / "lang", files))
    return case


def test_verdicts_on_outcomes(tmp_path: Path) -> None:
    okay = _case(tmp_path / "1", "eval-okay", "3\n")
    (run,) = okay.runs
    passed = Outcome(0, b"3\n", "")
    assert nix_verdict(okay, [passed]) is None
    assert nix_verdict(okay, [Outcome(0, b"4\n", "")]) == "stdout differs from eval-okay-x.exp"
    assert nix_verdict(okay, [Outcome(1, b"", "error: boom\n")]) == "exit 1: error: boom"
    assert nix_verdict(okay, [Outcome(None, b"", "")]) == f"did not finish within {TIMEOUT_S:.0f} s"
    assert ci_eval_failure(okay, run, passed, passed) is None
    wrong = ci_eval_failure(okay, run, passed, Outcome(0, b"4\n", ""))
    assert wrong is not None and "-3" in wrong and "+4" in wrong
    crashed = ci_eval_failure(okay, run, passed, Outcome(1, b"", f"{TRACEBACK}:\n  File x\n"))
    assert crashed is not None and "traceback" in crashed

    fail = _case(tmp_path / "2", "eval-fail")
    (run,) = fail.runs
    nix = Outcome(1, b"", "error: attribute 'x' missing\n\n       at f.nix:1:1:\n")
    assert nix_verdict(fail, [nix]) is None
    assert nix_verdict(fail, [Outcome(0, b"1\n", "")]) == "exit 0"
    assert (
        ci_eval_failure(fail, run, nix, Outcome(1, b"", "error[E105]: attribute 'x' missing\n"))
        is None
    )
    other = ci_eval_failure(
        fail, run, nix, Outcome(1, b"", "error[E107]: undefined variable 'x'\n")
    )
    assert other is not None
    assert "error: attribute 'x' missing" in other and "undefined variable 'x'" in other
    succeeded = ci_eval_failure(fail, run, nix, Outcome(0, b"1\n", ""))
    assert succeeded is not None and "exited 0" in succeeded

    parse_fail = _case(tmp_path / "3", "parse-fail")
    (run,) = parse_fail.runs
    nix = Outcome(1, b"", "error: syntax error, unexpected end of file\n")
    # --parse errors: only the exit status is compared
    assert (
        ci_eval_failure(parse_fail, run, nix, Outcome(1, b"", "error[E001]: other words\n")) is None
    )


def _run_harness(tmp_path: Path, suite: Path | None) -> dict[str, tuple[str, str]]:
    """Run this file's suite test in a pytest process with NIX_LANG_TESTS=`suite`:
    test id -> (outcome, message), from its JUnit XML report."""
    report = tmp_path / "report.xml"
    env = {k: v for k, v in os.environ.items() if k != SUITE_VARIABLE}
    if suite is not None:
        env[SUITE_VARIABLE] = str(suite)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            f"{__file__}::test_upstream",
            "-o",
            "addopts=",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
        ],
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    results: dict[str, tuple[str, str]] = {}
    for testcase in ET.parse(report).getroot().iter("testcase"):
        name = testcase.attrib["name"].removeprefix("test_upstream[").removesuffix("]")
        outcome, message = "passed", ""
        for child in testcase:
            if child.tag in ("skipped", "failure", "error"):
                outcome, message = child.tag, child.attrib.get("message", "")
        results[name] = (outcome, message)
    return results


NEEDS_NIX = pytest.mark.skipif(
    nix_instantiate() is None, reason="nix-instantiate of Nix 2.8 is not on PATH"
)
DEEP = "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 100000\n"


@NEEDS_NIX
def test_harness_on_a_suite_of_its_own(tmp_path: Path) -> None:
    lang = _write(
        tmp_path / "tests" / "lang",
        {
            "eval-okay-sum.nix": "1 + 2\n",
            "eval-okay-sum.exp": "3\n",
            "eval-okay-getenv.nix": 'builtins.getEnv "TEST_VAR"\n',
            "eval-okay-getenv.exp": '"foo"\n',
            "eval-okay-search-path.nix": "[ (import <three.nix>) (import <four.nix>) (import <five/three.nix>) ]\n",
            "eval-okay-search-path.exp": '[ "3" "4" "3" ]\n',
            "eval-okay-search-path.flags": "-I five=lang/dir3\n",
            "dir3/three.nix": '"3"\n',
            "dir4/four.nix": '"4"\n',
            "eval-okay-path.nix": "./.\n",
            "eval-okay-path.exp": f"{tmp_path}/tests/lang\n",
            "eval-okay-wrong.nix": "1\n",
            "eval-okay-wrong.exp": "2\n",
            "eval-okay-disabled.nix": "1\n",
            "eval-fail-throw.nix": 'throw "boom"\n',
            "eval-fail-lazy.nix": '{ a = throw "deep"; }\n',  # 2.8's lang.sh: no --strict
            "eval-fail-deep.nix": DEEP,  # Nix 2.8 overflows its stack; ci-eval does not
            "parse-okay-set.nix": "{ a = 1; }\n",
            "parse-fail-set.nix": "{ a = ; }\n",
        },
    )
    results = _run_harness(tmp_path, lang)
    outcomes = {name: outcome for name, (outcome, _) in results.items()}
    assert outcomes == {
        "parse-okay-set": "passed",
        "parse-fail-set": "passed",
        "eval-okay-getenv": "passed",
        "eval-okay-path": "passed",
        "eval-okay-search-path": "passed",
        "eval-okay-sum": "passed",
        "eval-okay-wrong": "skipped",
        "eval-fail-deep": "failure",
        "eval-fail-lazy": "skipped",
        "eval-fail-throw": "passed",
    }
    assert results["eval-okay-wrong"][1].startswith(f"{NIX_FAILS}: stdout differs")
    assert results["eval-fail-lazy"][1] == f"{NIX_FAILS}: exit 0"
    assert "ci-eval exited 0 where Nix 2.8 fails" in results["eval-fail-deep"][1]


@NEEDS_NIX
def test_harness_on_a_newer_layout(tmp_path: Path) -> None:
    lang = _write(
        tmp_path / "functional" / "lang",
        {
            "eval-okay-path.nix": "./.\n",
            "eval-okay-path.exp": "/pwd/lang\n",
            "eval-okay-path.err.exp": "",
            "eval-okay-home.nix": 'builtins.getEnv "HOME"\n',
            "eval-okay-home.exp": '"/fake-home"\n',
            "eval-okay-xml.nix": "{ a = 1; }\n",
            "eval-fail-strict.nix": '{ a = throw "deep"; }\n',
            "eval-fail-strict.err.exp": "error: deep\n",
            "parse-okay-set.nix": "{ a = 1; }\n",
            "parse-okay-set.exp": "this is not Nix 2.8's --parse output\n",
        },
    )
    xml = subprocess.run(
        [
            "nix-instantiate",
            "--eval",
            "--xml",
            "--no-location",
            "--strict",
            lang / "eval-okay-xml.nix",
        ],
        capture_output=True,
        check=True,
    )
    (lang / "eval-okay-xml.exp.xml").write_bytes(xml.stdout)
    results = _run_harness(tmp_path, lang)
    assert {name: outcome for name, (outcome, _) in results.items()} == {
        "parse-okay-set": "passed",
        "eval-okay-home": "passed",
        "eval-okay-path": "passed",
        "eval-okay-xml": "passed",
        "eval-fail-strict": "passed",
    }


def test_harness_without_a_suite(tmp_path: Path) -> None:
    assert _run_harness(tmp_path, None) == {
        "unset": (
            "skipped",
            f"{SUITE_VARIABLE} is not set (DIR holding Nix's eval-*/parse-* tests)",
        )
    }
    ((outcome, message),) = _run_harness(tmp_path, tmp_path / "nowhere").values()
    assert outcome == "failure" and "holds no eval-*/parse-* Nix language tests" in message
