"""What a cold ``ci-eval`` process is spared (issue 15, a main job or ``check`` under 150 ms):
node classes made without the dataclass machinery, a fetch whose host has no address
failing before urllib is loaded, and modules a run does not use left unloaded."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_process import on_main_job_and_check

ROOT = Path(__file__).resolve().parent.parent

# This checkout's ci-eval in an interpreter that loads nothing at start-up: no site
# hooks (.pth files can import tempfile and the like), so a module in sys.modules at
# the end is one ci-eval loaded.
_CLEAN_PRELUDE = (
    f"import sys, site\nsys.path[:0] = [{str(ROOT)!r}]\nsys.path += site.getsitepackages()\n"
)


def _clean_python(code: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "-S", "-c", _CLEAN_PRELUDE + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


# --- node classes ---------------------------------------------------------------------------


def test_the_syntax_package_does_not_import_dataclasses() -> None:
    """Importing `dataclasses` takes ~10 ms (it imports `inspect`, `ast`, `dis`,
    `tokenize`), and `dataclass` compiles six functions per frozen class (~0.4 ms each
    class): the node classes are made without either (tests/test_parse_speed.py checks
    they behave as ``@dataclass(frozen=True, slots=True)`` classes), and parsing loads
    neither."""
    out = _clean_python(
        "from nixeval.syntax import nodes, parse\n"
        "parse('let a = { b = 1; }; in a.b')\n"
        "print(len(nodes.node_classes()), 'dataclasses' in sys.modules, 'inspect' in sys.modules)\n"
    )
    count, dataclasses_loaded, inspect_loaded = out.split()
    assert int(count) > 20  # Span, Int, ..., If: the classes are there
    assert (dataclasses_loaded, inspect_loaded) == ("False", "False")


_COUNT_COMPILES = (
    "import builtins\n"
    "compiled = []\n"
    "real = builtins.compile\n"
    "def counting(source, filename, *args, **kwargs):\n"
    "    if str(filename).endswith(' (node methods)'):  # not a module's source\n"
    "        compiled.append(filename)\n"
    "    return real(source, filename, *args, **kwargs)\n"
    "builtins.compile = counting\n"
)

_USE_NODES = (
    "from nixeval.syntax import parse\n"
    "a, b = parse('{ x = 1; }.x'), parse('{ x = 1; }.x  ')\n"
    "print(a == b, hash(a) == hash(b), repr(a.path[0]))\n"
    "print(sorted(compiled))\n"
)


def test_node_methods_are_compiled_with_the_package_not_at_start() -> None:
    out = _clean_python(_COUNT_COMPILES + _USE_NODES).splitlines()
    assert out == ["True True StaticAttr(span=Span(start=11, end=12), name='x')", "[]"]


def test_the_generated_node_methods_are_those_of_nodes_py() -> None:
    from nixeval.syntax import nodes

    generated = ROOT / "nixeval" / "syntax" / "_node_methods.py"
    assert generated.read_text(encoding="utf-8") == nodes.methods_module(), (
        "nodes.py changed: run python -m nixeval.syntax.regenerate"
    )


def test_node_methods_not_regenerated_after_a_change_are_compiled_at_start(
    tmp_path: Path,
) -> None:
    shutil.copytree(ROOT / "nixeval", tmp_path / "nixeval", ignore=shutil.ignore_patterns("*.pyc"))
    generated = tmp_path / "nixeval" / "syntax" / "_node_methods.py"
    text = generated.read_text(encoding="utf-8")
    # As if a field had been added in nodes.py: the file no longer matches.
    generated.write_text(text.replace("TEXT_SHA256 = '", "TEXT_SHA256 = 'stale"), encoding="utf-8")
    prelude = f"sys.path.insert(0, {str(tmp_path)!r})\n"
    out = _clean_python(prelude + _COUNT_COMPILES + _USE_NODES).splitlines()
    assert out[0] == "True True StaticAttr(span=Span(start=11, end=12), name='x')"
    assert out[1] == f"[{str(tmp_path / 'nixeval' / 'syntax' / 'nodes.py (node methods)')!r}]"


# --- a fetch whose host has no address ------------------------------------------------------

_FETCH = (
    "import tempfile\n"
    "from pathlib import Path\n"
    "from nixeval.sources import FetchError, LockedInput, fetch\n"
    "pin = LockedInput.from_lock_node({'type': 'tarball', 'url': URL,\n"
    "    'narHash': 'sha256-k7UNlUeI/FLeePOe8ClQN7FpFgRdbXlqPAB2jMlW6Qw='})\n"
    "try:\n"
    "    fetch(pin, cache=Path(tempfile.mkdtemp()))\n"
    "except FetchError as e:\n"
    "    print(e)\n"
    "print(sorted(m for m in ('http.client', 'ssl', 'urllib.request', 'encodings.idna')\n"
    "             if m in sys.modules))\n"
)

_PROXIES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def _fetch_in_a_process(url: str, **proxies: str) -> list[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name.lower() not in _PROXIES and name != "CI_EVAL_OFFLINE"
    }
    env.update(proxies)
    return _clean_python(f"URL = {url!r}\n" + _FETCH, env).splitlines()


# .invalid never resolves (RFC 6761); credentials and a token in the URL are not shown.
UNRESOLVABLE = "https://user:secret@ci-eval-test.invalid:8443/a.tar.gz?token=hunter2"


def test_a_host_without_an_address_fails_before_the_http_modules_are_loaded() -> None:
    message, loaded = _fetch_in_a_process(UNRESOLVABLE)
    # The same words as when urllib looks the host up itself (here: a no_proxy that
    # matches every host, so urllib connects directly, after loading http.client).
    by_urllib, loaded_by_urllib = _fetch_in_a_process(UNRESOLVABLE, no_proxy="*")
    assert message == by_urllib
    assert message.startswith("cannot fetch https://ci-eval-test.invalid:8443/a.tar.gz?token=<")
    assert "secret" not in message and "hunter2" not in message
    assert loaded == "[]"
    assert "http.client" in loaded_by_urllib


def test_a_main_job_whose_sources_hosts_have_no_address_loads_no_network_or_staging_modules(
    tmp_path: Path,
) -> None:
    """The main job on the sample project, its pinned archives on a host that has no
    address: each fetch fails on looking the host up (with the C module, not socket's
    enums) before a staging directory is made (tempfile, shutil), and the models stand in
    as ever."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "fixtures" / "neat-network", project)
    ci = project / "ci.nix"
    ci.write_text(ci.read_text().replace("https://github.com/", "https://ci-eval-test.invalid/"))
    unloaded = ("socket", "tempfile", "shutil", "random", "http.client", "ssl", "urllib.request")
    code = (
        "from nixeval.cli import main\n"
        f"status = main([{str(ci)!r}, '-A', 'neat-network', '--as-branch', 'main'])\n"
        f"print(status, sorted(m for m in {unloaded!r} if m in sys.modules))\n"
    )
    env = {
        name: value
        for name, value in os.environ.items()
        if name.lower() not in _PROXIES and name != "CI_EVAL_OFFLINE"
    }
    env["CI_EVAL_CACHE_DIR"] = str(tmp_path / "cache")
    first, out = (  # the first run fills the cache (parsed files, a valid description)
        subprocess.run(
            [sys.executable, "-S", "-c", _CLEAN_PRELUDE + code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        for _ in range(2)
    )
    assert first.stdout.splitlines()[-1].startswith("0 "), first.stderr[-2000:]
    assert out.stdout.splitlines()[-1] == "0 []", out.stderr[-2000:]
    for pinned in ("NixOS/nixpkgs", "hercules-ci/hercules-ci-effects"):
        failed = f"fetching it failed: cannot fetch https://ci-eval-test.invalid/{pinned}/archive/"
        assert failed in out.stderr


def test_through_a_proxy_the_host_is_left_to_the_proxy() -> None:
    """With a proxy, the proxy looks the host up: no look-up of ours says it has no
    address; the fetch fails connecting to the proxy."""
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    message, loaded = _fetch_in_a_process(UNRESOLVABLE, https_proxy=f"http://127.0.0.1:{port}")
    assert message.endswith(": Connection refused"), message
    assert "http.client" in loaded


@pytest.mark.parametrize(
    ("host", "looked_up"),
    [
        ("github.com", True),
        ("GitHub.com.", True),
        ("a..b", False),  # the codec refuses an empty label
        ("x" * 64 + ".com", False),  # and one over 63 characters
        ("bücher.example", False),  # encoded by the codec, not as it is
        ("", True),
    ],
)
def test_only_names_the_idna_codec_keeps_as_they_are_are_looked_up_as_bytes(
    host: str, looked_up: bool
) -> None:
    from nixeval.sources.fetch import _idna_as_is

    assert _idna_as_is(host) is looked_up
    if looked_up:
        assert host.encode("idna") == host.encode()


# --- modules a run does not use -------------------------------------------------------------

# Loaded only by what needs them: the help's wrapping (textwrap), writing a cache entry
# (tempfile, and random with it), the terminal's width for help or usage and copying or
# removing a tree (shutil), reading a flake.lock or a flake reference.
NOT_ON_A_WARM_RUN = (
    "textwrap",
    "tempfile",
    "random",
    "shutil",
    "nixeval.sources.flakeref",
    "nixeval.sources.lockfile",
)


@on_main_job_and_check
def test_a_run_on_a_filled_cache_does_not_load_what_it_does_not_use(
    tmp_path: Path, command: list[str]
) -> None:
    code = (
        "from nixeval.cli import main\n"
        f"status = main({command!r})\n"
        f"print(status, sorted(m for m in {NOT_ON_A_WARM_RUN!r} if m in sys.modules))\n"
        # dataclass writes a docstring from inspect.signature for a class without one;
        # for a class without __init__ that tokenizes (and compiles tokenize's regex).
        "tokenize = sys.modules.get('tokenize')\n"
        "print(tokenize._compile.cache_info().misses if tokenize else 0)\n"
    )
    env = dict(os.environ, CI_EVAL_CACHE_DIR=str(tmp_path / "cache"), CI_EVAL_OFFLINE="1")
    first = _clean_python(code, env).splitlines()  # fills the cache
    again = _clean_python(code, env).splitlines()
    assert first[-2].startswith("0 ")
    assert again[-2:] == ["0 []", "0"]


def _after_a_run(tmp_path: Path, command: list[str], setup: str, report: str) -> str:
    """What the expression `report` shows (one line) after `command` ran in a clean
    interpreter, with the code `setup` run before ci-eval was imported."""
    code = (
        f"{setup}from nixeval.cli import main\n"
        f"status = main({command!r})\n"
        "print(status)\n"
        f"print({report})\n"
    )
    env = dict(os.environ, CI_EVAL_CACHE_DIR=str(tmp_path / "cache"), CI_EVAL_OFFLINE="1")
    status, shown = _clean_python(code, env).splitlines()[-2:]
    assert status == "0"
    return shown


@on_main_job_and_check
def test_a_run_does_not_import_dataclasses(tmp_path: Path, command: list[str]) -> None:
    """Importing `dataclasses` costs a cold run ~10 ms (it imports `inspect`, `ast`, `dis`,
    `tokenize`), and each class `dataclass` makes ~0.7 ms more (its methods are compiled
    with `exec`): the records a run makes are `Record`s, plain classes or nodes."""
    loaded = "*sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules)"
    assert _after_a_run(tmp_path, command, "", loaded) == ""


@on_main_job_and_check
def test_a_run_makes_no_named_tuple_class(tmp_path: Path, command: list[str]) -> None:
    """ci-eval's records are `nixeval.records.Record`s: ``collections.namedtuple`` (which
    ``typing.NamedTuple`` calls) compiles each class's ``__new__``, ~0.3 ms a class in a
    cold process. (The standard library's own named tuples, urllib's, are not counted.)"""
    counting = (
        "import collections\n"
        "made = []\n"
        "real = collections.namedtuple\n"
        "def counting(typename, field_names, *, module=None, **kwargs):\n"
        "    where = module or sys._getframe(1).f_globals.get('__name__', '')\n"
        "    made.append(f'{where}.{typename}')\n"
        "    return real(typename, field_names, module=module, **kwargs)\n"
        "collections.namedtuple = counting\n"
    )
    made = "*sorted(m for m in made if m.startswith('nixeval'))"
    assert _after_a_run(tmp_path, command, counting, made) == ""


def test_an_evaluation_making_derivations_does_not_import_dataclasses() -> None:
    """Nor does ``--eval`` of a derivation (the store's records are not dataclasses): the
    library-heavy workloads and a project's ``--list`` make many."""
    code = (
        "from nixeval.cli import main\n"
        'expr = \'derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; }\'\n'
        "status = main(['--eval', '--strict', '--expr', f'({expr}).drvPath'])\n"
        "print(status)\n"
        "print(*sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules))\n"
    )
    out = _clean_python(code).splitlines()
    assert out[0].startswith('"/nix/store/') and out[0].endswith('-x.drv"')
    assert out[1:] == ["0", ""]


def test_help_and_usage_are_as_wide_as_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parsers look the terminal's width up only to write help or usage (shutil is
    not loaded to add an argument): they write them as argparse does at that width."""
    import argparse
    import functools

    from nixeval.cli import _arguments

    helps = []
    for columns in (50, 120):
        monkeypatch.setenv("COLUMNS", str(columns))
        parser, at_that_width = _arguments(), _arguments()
        at_that_width.formatter_class = functools.partial(argparse.HelpFormatter, width=columns - 2)
        assert parser.format_help() == at_that_width.format_help()
        assert parser.format_usage() == at_that_width.format_usage()
        helps.append(parser.format_help())
    assert helps[0] != helps[1]


def test_a_metavar_that_does_not_fit_nargs_is_still_refused() -> None:
    """argparse checks each argument's metavar with a formatter as it is added; the
    parsers give it one that does not ask the terminal's width, and the check holds."""
    from nixeval.cli import _Parser

    parser = _Parser(prog="ci-eval")
    with pytest.raises(ValueError, match="length of metavar tuple does not match nargs"):
        parser.add_argument("--pair", nargs=2, metavar=("ONE",))


@on_main_job_and_check
def test_a_first_run_on_a_valid_project_does_not_import_jsonschema(
    tmp_path: Path, command: list[str]
) -> None:
    """The quick validity test of the shipped schemas (nixeval.effects.schema_validity)
    vouches for a valid description: jsonschema (~50 ms to import, 10-20 ms a document)
    is left for one it cannot vouch for."""
    code = (
        "from nixeval.cli import main\n"
        f"status = main({command!r})\n"
        "print(status, 'jsonschema' in sys.modules)\n"
    )
    env = dict(os.environ, CI_EVAL_CACHE_DIR=str(tmp_path / "cache"), CI_EVAL_OFFLINE="1")
    assert _clean_python(code, env).splitlines()[-1] == "0 False"
