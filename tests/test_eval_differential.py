"""Differential evaluation tests: ci-eval's ``--eval`` must print what Nix 2.8 prints.

The corpus lives in ``tests/corpus/eval/*.txt``.  Each file is a sequence of
chunks separated by a line that is exactly ``---``.  A chunk looks like::

    ### title words [lazy] [json]
    EXPRESSION (one or more lines)
    >>>
    EXPECTED

The optional flags at the end of the title select the mode:

* default  -- ``nix-instantiate --eval --strict``
* ``[lazy]`` -- ``nix-instantiate --eval`` (shows ``<CODE>``, ``<LAMBDA>``, ...)
* ``[json]`` -- ``nix-instantiate --eval --strict --json``

EXPECTED is either ``ok`` followed on the next lines by the exact stdout of
``nix-instantiate`` minus its final newline (in ``[json]`` mode Nix 2.8 prints
*no* final newline, so the stdout is EXPECTED itself), or a single line
``error: KIND: MESSAGE`` where MESSAGE is the first line of Nix's error message
(after the ``error: `` prefix) and KIND is one of :data:`KINDS`.

Every expression is evaluated in ``tests/corpus/eval/files/`` (small fixture
files live there) with ``HOME`` set to that directory,
``NIX_PATH=corpus=<that directory>`` and ``CI_EVAL_TEST_VAR=hello``.  The
directory's absolute path is written ``@CWD@`` in EXPECTED.

Expressions never start with ``-`` because ``nix-instantiate -E`` would take
them for an option.

Three checks:

* ``test_corpus_size`` -- the corpus is large and covers every flag and kind.
* ``test_nix_agrees`` -- real Nix 2.8 still produces every stored EXPECTED.
* ``test_ci_eval_agrees`` -- ``nixeval.cli.main(["--eval", ...])`` prints the
  same stdout (ok chunks) or fails with status 1 (error chunks).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

CORPUS_DIR = Path(__file__).resolve().parent / "corpus" / "eval"
FILES_DIR = CORPUS_DIR / "files"
CWD_TOKEN = "@CWD@"
SEPARATOR = "---"
EXPECT_MARK = ">>>"
FLAGS = ("lazy", "json")
KINDS = (
    "throw",
    "abort",
    "assert",
    "type",
    "missing-attribute",
    "undefined-variable",
    "infinite-recursion",
    "division-by-zero",
    "not-a-function",
    "missing-argument",
    "unexpected-argument",
    "index-out-of-bounds",
    "coercion",
    "json",
    "regex",
    "other",
)
ERROR_RE = re.compile(r"^error: (" + "|".join(re.escape(k) for k in KINDS) + r"): (.*)$")
FLAG_RE = re.compile(r"\[(" + "|".join(FLAGS) + r")\]")
NIX_TIMEOUT_S = 120.0
TEST_VAR = ("CI_EVAL_TEST_VAR", "hello")

# chunk id ("file:line") -> reason.  Every entry is an expected failure of
# test_ci_eval_agrees (strict xfail).  Only the lead engineer adds entries.
KNOWN_DIFFERENCES: dict[str, str] = {}


class Chunk(NamedTuple):
    """One corpus entry."""

    file: str
    line_number: int  # 1-based line of the ``###`` header
    title: str
    flags: frozenset[str]
    expr: str
    ok: bool
    output: str  # ok: expected stdout without final newline; error: MESSAGE
    kind: str  # "" for ok chunks

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line_number}"

    @property
    def lazy(self) -> bool:
        return "lazy" in self.flags

    @property
    def json(self) -> bool:
        return "json" in self.flags

    def expected_stdout(self, cwd: str) -> str:
        """The exact stdout of a successful evaluation."""
        text = self.output.replace(CWD_TOKEN, cwd)
        return text if self.json else text + "\n"

    def expected_message(self, cwd: str) -> str:
        return self.output.replace(CWD_TOKEN, cwd)


def _parse_chunk(name: str, line_number: int, lines: list[str]) -> Chunk:
    where = f"{name}:{line_number}"
    header = lines[0]
    if not header.startswith("### ") or len(header) <= 4:
        raise ValueError(f"{where}: chunk must start with '### title', got {header!r}")
    title = header[4:]
    flags = frozenset(FLAG_RE.findall(title))
    if EXPECT_MARK not in lines:
        raise ValueError(f"{where}: missing '{EXPECT_MARK}' line")
    mark = lines.index(EXPECT_MARK)
    expr = "\n".join(lines[1:mark])
    expected = lines[mark + 1 :]
    if not expr.strip():
        raise ValueError(f"{where}: empty expression")
    if expr.startswith("-"):
        raise ValueError(f"{where}: expression must not start with '-'")
    if not expected:
        raise ValueError(f"{where}: missing expected result")
    if expected[0] == "ok":
        if len(expected) < 2:
            raise ValueError(f"{where}: 'ok' without output")
        return Chunk(name, line_number, title, flags, expr, True, "\n".join(expected[1:]), "")
    match = ERROR_RE.match(expected[0])
    if match is None or len(expected) != 1:
        raise ValueError(f"{where}: expected 'ok' or 'error: KIND: message', got {expected!r}")
    return Chunk(name, line_number, title, flags, expr, False, match.group(2), match.group(1))


def parse_corpus_text(name: str, content: str) -> Iterator[Chunk]:
    """Split one corpus file into chunks."""
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # final newline of the file
    start = 0
    for pos in range(len(lines) + 1):
        if pos < len(lines) and lines[pos] != SEPARATOR:
            continue
        body = lines[start:pos]
        if not body:
            raise ValueError(f"{name}:{start + 1}: empty chunk")
        yield _parse_chunk(name, start + 1, body)
        start = pos + 1


def iter_chunks(directory: Path = CORPUS_DIR) -> Iterator[Chunk]:
    """Yield every chunk of every ``*.txt`` corpus file, in file order."""
    for path in sorted(directory.glob("*.txt")):
        yield from parse_corpus_text(path.name, path.read_text(encoding="utf-8"))


CHUNKS: list[Chunk] = list(iter_chunks())


def _chunk_id(chunk: Chunk) -> str:
    return chunk.id


def _files_dir() -> str:
    return str(FILES_DIR)


def _eval_env() -> dict[str, str]:
    """Environment variables shared by real Nix and ci-eval."""
    cwd = _files_dir()
    return {
        "HOME": cwd,
        "NIX_PATH": f"corpus={cwd}",
        TEST_VAR[0]: TEST_VAR[1],
    }


def _excerpt(chunk: Chunk) -> str:
    flags = " ".join(sorted(chunk.flags)) or "strict"
    lines = "\n".join(f"    | {line}" for line in chunk.expr.split("\n"))
    return f"{chunk.id} [{flags}] {chunk.title}\n{lines}"


# --------------------------------------------------------------------------
# real Nix


class NixResult(NamedTuple):
    returncode: int
    stdout: str
    stderr: str

    def first_error_line(self) -> str | None:
        for line in self.stderr.split("\n"):
            if line.startswith("error: "):
                return line[len("error: ") :]
        return None


def _nix_args(chunk: Chunk) -> list[str]:
    exe = shutil.which("nix-instantiate")
    assert exe is not None
    args = [exe, "--eval", "--readonly-mode"]
    if not chunk.lazy:
        args.append("--strict")
    if chunk.json:
        args.append("--json")
    return [*args, "-E", chunk.expr]


def _run_nix(chunk: Chunk) -> tuple[str, NixResult]:
    env = dict(os.environ)
    env.update(_eval_env())
    env["NIX_REMOTE"] = "dummy://"
    proc = subprocess.run(
        _nix_args(chunk),
        cwd=FILES_DIR,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=NIX_TIMEOUT_S,
        check=False,
    )
    return chunk.id, NixResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def nix_results(request: pytest.FixtureRequest) -> dict[str, NixResult]:
    """Run real Nix once on every selected chunk (2 workers, cached per session)."""
    if shutil.which("nix-instantiate") is None:
        pytest.skip("nix-instantiate not on PATH")
    selected: list[Chunk] = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if (
            getattr(item, "originalname", None) == "test_nix_agrees"
            and callspec is not None
            and getattr(item, "module", None) is sys.modules[__name__]
        ):
            selected.append(callspec.params["chunk"])
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(_run_nix, selected or CHUNKS))


# --------------------------------------------------------------------------
# tests


def test_corpus_size() -> None:
    assert len(CHUNKS) >= 600
    ids = [c.id for c in CHUNKS]
    assert len(ids) == len(set(ids))
    lazy = [c for c in CHUNKS if c.lazy]
    json = [c for c in CHUNKS if c.json]
    assert len(lazy) >= 30
    assert len(json) >= 30
    errors = [c for c in CHUNKS if not c.ok]
    assert len(errors) >= len(CHUNKS) // 5
    kinds = {c.kind for c in errors}
    assert set(KINDS) <= kinds, f"kinds never used: {set(KINDS) - kinds}"
    assert set(KNOWN_DIFFERENCES) <= set(ids), "KNOWN_DIFFERENCES names unknown chunks"


def test_chunk_splitting() -> None:
    content = (
        "### first [lazy]\nx: x\n>>>\nok\n<LAMBDA>\n---\n"
        '### second\nthrow\n  "boom"\n>>>\nerror: throw: boom\n'
    )
    first, second = parse_corpus_text("t.txt", content)
    assert (first.id, first.flags, first.expr, first.ok) == (
        "t.txt:1",
        frozenset({"lazy"}),
        "x: x",
        True,
    )
    assert first.expected_stdout("/c") == "<LAMBDA>\n"
    assert (second.id, second.kind, second.output) == ("t.txt:7", "throw", "boom")
    assert second.expr == 'throw\n  "boom"'
    json_chunk = next(parse_corpus_text("j.txt", '### p [json]\n./a\n>>>\nok\n"@CWD@/a"\n'))
    assert json_chunk.expected_stdout("/c") == '"/c/a"'
    for bad in (
        "### t\n1\n",  # no >>>
        "### t\n1\n>>>\n",  # no expectation
        "### t\n1\n>>>\nerror: nope: x\n",  # unknown kind
        "### t\n-1\n>>>\nok\n-1\n",  # looks like an option to nix-instantiate
        "### t\n1\n>>>\nok\n1\n---\n---\n### u\n2\n>>>\nok\n2\n",  # empty chunk
        "t\n1\n>>>\nok\n1\n",  # no header
    ):
        with pytest.raises(ValueError):
            list(parse_corpus_text("t.txt", bad))


@pytest.mark.parametrize("chunk", CHUNKS, ids=_chunk_id)
def test_nix_agrees(chunk: Chunk, nix_results: dict[str, NixResult]) -> None:
    result = nix_results[chunk.id]
    cwd = _files_dir()
    if chunk.ok:
        assert result.returncode == 0, (
            f"{_excerpt(chunk)}\nnix failed ({result.returncode}):\n{result.stderr}"
        )
        assert result.stdout == chunk.expected_stdout(cwd), (
            f"{_excerpt(chunk)}\nnix printed {result.stdout!r}"
        )
    else:
        assert result.returncode == 1, (
            f"{_excerpt(chunk)}\nnix exited {result.returncode}:\n"
            f"stdout: {result.stdout!r}\n{result.stderr}"
        )
        assert result.first_error_line() == chunk.expected_message(cwd), (
            f"{_excerpt(chunk)}\nnix said:\n{result.stderr}"
        )


def _ci_eval_params() -> list[object]:
    params: list[object] = []
    for chunk in CHUNKS:
        reason = KNOWN_DIFFERENCES.get(chunk.id)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(chunk, id=chunk.id, marks=marks))
    return params


ABORT_RE = re.compile(r"^evaluation aborted with the following error message: '(.*)'$")


def thrown_text(kind: str, message: str) -> str:
    """The user-supplied text of a ``throw``/``abort`` error message."""
    if kind == "abort":
        match = ABORT_RE.match(message)
        if match is not None:
            return match.group(1)
    return message


def ci_eval_argv(chunk: Chunk) -> list[str]:
    argv = ["--eval"]
    if not chunk.lazy:
        argv.append("--strict")
    if chunk.json:
        argv.append("--json")
    return [*argv, "-E", "--", chunk.expr]


@pytest.mark.parametrize("chunk", _ci_eval_params())
def test_ci_eval_agrees(
    chunk: Chunk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nixeval.cli import main

    for name, value in _eval_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(FILES_DIR)
    try:
        status = main(ci_eval_argv(chunk))
    except SystemExit as exc:  # argparse-style exits are tolerated
        status = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    cwd = _files_dir()
    if chunk.ok:
        assert status == 0, f"{_excerpt(chunk)}\nci-eval failed ({status}):\n{captured.err}"
        assert captured.out == chunk.expected_stdout(cwd), (
            f"{_excerpt(chunk)}\nexpected {chunk.expected_stdout(cwd)!r}\n"
            f"ci-eval printed {captured.out!r}"
        )
    else:
        assert status == 1, (
            f"{_excerpt(chunk)}\nexpected error ({chunk.kind}: {chunk.output}) but "
            f"ci-eval exited {status}\nstdout: {captured.out!r}\nstderr: {captured.err}"
        )
        assert "error" in captured.err, f"{_excerpt(chunk)}\nstderr: {captured.err!r}"
        if chunk.kind in ("throw", "abort"):
            message = thrown_text(chunk.kind, chunk.expected_message(cwd))
            assert message in captured.err, (
                f"{_excerpt(chunk)}\nexpected message {message!r} in stderr:\n{captured.err}"
            )
