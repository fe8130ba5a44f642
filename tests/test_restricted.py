"""Restricted mode (design §7): ``Machine(allowed_paths=[repo])``, as ``ci-eval check`` runs an
untrusted ci.nix. Nix code reads only inside the repository (and ci-eval's own models);
anything else is E112 with Nix's ``--restrict-eval`` wording, which ``tryEval`` cannot catch;
no search path, no environment, no ``~``, no local fetch from outside. Inside the
repository everything evaluates exactly as unrestricted.

The messages are those of ``nix-instantiate --restrict-eval`` (Nix 2.8); where Nix 2.8
itself leaks (``~`` reads $HOME), the wording of Nix 2.9's pure mode is used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nixeval.builtins.paths import import_file
from nixeval.eval import errors as E
from nixeval.eval.access import MODEL_DIR, PathAccess
from nixeval.eval.machine import Machine
from nixeval.printing import force_deep, print_value

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = "is forbidden in restricted mode"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """tmp/repo (with a .git) holding a few files and symlinks, and files beside it."""
    (tmp_path / "outside.nix").write_text("1\n")
    (tmp_path / "secret.txt").write_text("secret\n")
    (tmp_path / "outdir").mkdir()
    (tmp_path / "outdir" / "secret.txt").write_text("secret\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    (repo / "in.nix").write_text('"hi"\n')
    (repo / "sub" / "x.nix").write_text("{ x = 2; }\n")
    (repo / "sub" / "data.txt").write_text("data\n")
    (repo / "link").symlink_to(tmp_path / "secret.txt")
    (repo / "dirlink").symlink_to(tmp_path / "outdir")
    (repo / "uplink").symlink_to(tmp_path)
    (repo / "inlink").symlink_to("sub/data.txt")
    (repo / "dangling").symlink_to("no-such-file")
    return repo


def machine(repo: Path | None, pure: bool = True) -> Machine:
    # A search path and a HOME are given, to show that restricted mode ignores them.
    return Machine(
        search_path=[("nixpkgs", "/etc"), ("", "/")],
        environ={"HOME": "/root", "SECRET": "s3cr3t"},
        pure=pure,
        unknowns=True,
        allowed_paths=None if repo is None else [str(repo)],
    )


def evaluate(repo: Path, text: str, restricted: bool = True, pure: bool = True) -> str:
    """The value (printed, deeply forced) of `text` as the file repo/ci.nix."""
    path = repo / "ci.nix"
    path.write_text(text + "\n")
    m = machine(repo if restricted else None, pure)
    value = import_file(m, str(path))
    force_deep(m, value)
    return print_value(value)


def failure(repo: Path, text: str) -> E.EvalError:
    with pytest.raises(E.EvalError) as info:
        evaluate(repo, text)
    return info.value


def where(err: E.EvalError) -> tuple[str, int, int]:
    assert err.source is not None and err.span is not None
    pos = err.source.position(err.span.start)
    return os.path.basename(err.source.name), pos.line, pos.column


# --- outside the repository: E112 ----------------------------------------------------------

FORBIDDEN_CASES = [
    ("builtins.readFile /etc/passwd", "absolute path '/etc/passwd'"),
    ("import ../outside.nix", "absolute path '{tmp}/outside.nix'"),
    ("builtins.readFile ./sub/../../outside.nix", "absolute path '{tmp}/outside.nix'"),
    (
        'builtins.readFile (/. + (toString ./.) + "/../secret.txt")',
        "absolute path '{tmp}/secret.txt'",
    ),
    ("builtins.readFile ./link", "canonical path '{tmp}/secret.txt'"),
    ("builtins.readFile ./dirlink/secret.txt", "canonical path '{tmp}/outdir/secret.txt'"),
    ("builtins.readDir ./dirlink", "canonical path '{tmp}/outdir'"),
    ("builtins.readFile ./uplink/secret.txt", "canonical path '{tmp}/secret.txt'"),
    ("builtins.readDir ./uplink", "canonical path '{tmp}'"),
    ("builtins.readDir /.", "absolute path '/'"),
    ("builtins.readDir ./..", "absolute path '{tmp}'"),
    ('builtins.hashFile "sha256" /etc/passwd', "absolute path '/etc/passwd'"),
    ('"${/etc/passwd}"', "absolute path '/etc/passwd'"),
    ('"${./link}"', "canonical path '{tmp}/secret.txt'"),
    ("builtins.path { path = /etc; }", "absolute path '/etc'"),
    ("builtins.filterSource (p: t: true) ../outdir", "absolute path '{tmp}/outdir'"),
    ("builtins.scopedImport { } /etc/passwd", "absolute path '/etc/passwd'"),
    ("import /etc", "absolute path '/etc'"),
    (
        'builtins.findFile [ { prefix = "x"; path = "/etc"; } ] "x/passwd"',
        "absolute path '/etc/passwd'",
    ),
    # Not even whether it exists: a forbidden candidate is an error either way.
    (
        'builtins.findFile [ { prefix = "x"; path = "/etc"; } ] "x/no-such"',
        "absolute path '/etc/no-such'",
    ),
    ('builtins.fetchurl "file:///etc/passwd"', "absolute path '/etc/passwd'"),
    ("builtins.fetchGit /etc", "absolute path '/etc'"),
    ('builtins.fetchTarball { url = "file://{tmp}/outdir"; }', "absolute path '{tmp}/outdir'"),
    ('builtins.fetchTree { type = "path"; path = "/etc"; }', "absolute path '/etc'"),
    ('builtins.fetchGit "git+file://{tmp}/outdir?ref=main"', "absolute path '{tmp}/outdir'"),
    # tryEval cannot catch it (as Nix's RestrictedPathError): no probing by trial.
    ("builtins.tryEval (builtins.readFile /etc/passwd)", "absolute path '/etc/passwd'"),
    ("(builtins.tryEval (import ../outside.nix)).success", "absolute path '{tmp}/outside.nix'"),
]


@pytest.mark.parametrize(("text", "message"), FORBIDDEN_CASES)
def test_outside_the_repository_is_forbidden(repo: Path, text: str, message: str) -> None:
    tmp = str(repo.parent)
    err = failure(repo, text.replace("{tmp}", tmp))
    assert type(err) is E.RestrictedPath and not isinstance(err, E.Catchable)
    assert err.code == "E112"
    assert err.message == f"access to {message.replace('{tmp}', tmp)} {FORBIDDEN}"
    assert where(err)[0] == "ci.nix"


def test_the_error_is_at_the_expression_that_reads(repo: Path) -> None:
    err = failure(repo, "{\n  ok = 1;\n  bad = builtins.readFile /etc/passwd;\n}")
    assert where(err) == ("ci.nix", 3, 9)
    err = failure(repo, "let f = p: import p; in\n  f ../outside.nix")
    assert where(err) == ("ci.nix", 1, 12)  # the import, inside f


def test_an_imported_file_is_checked_too(repo: Path) -> None:
    (repo / "sub" / "reads.nix").write_text("{ x = builtins.readFile ../../secret.txt; }\n")
    err = failure(repo, "(import ./sub/reads.nix).x")
    assert type(err) is E.RestrictedPath
    assert where(err) == ("reads.nix", 1, 7)


@pytest.mark.parametrize(
    "text",
    [
        "builtins.pathExists /etc/passwd",
        "builtins.pathExists ../outside.nix",
        "builtins.pathExists ./link",
        "builtins.pathExists ./dirlink/secret.txt",
        "builtins.pathExists ./uplink",
        "builtins.pathExists ./no-such-file",
        "builtins.pathExists ./dangling",
    ],
)
def test_path_exists_of_a_forbidden_path_is_false(repo: Path, text: str) -> None:
    # As Nix 2.8 (prim_pathExists catches RestrictedPathError): nothing learnt, no error.
    assert evaluate(repo, text) == "false"


def test_home_is_not_read(repo: Path) -> None:
    # Nix 2.8 expands ~ from $HOME even with --restrict-eval; untrusted code may not learn
    # the home directory (Nix 2.9's pure mode refuses ~ with the same words).
    err = failure(repo, "{ a = 1; b = ~/x; }.a")
    assert type(err) is E.RestrictedPath
    assert err.message == "the path '~/x' can not be resolved in restricted mode"
    assert where(err) == ("ci.nix", 1, 14)
    assert evaluate(repo, "~/x", restricted=False) == "/root/x"


@pytest.mark.parametrize("pure", [True, False])
def test_no_environment(repo: Path, pure: bool) -> None:
    text = '[ (builtins.getEnv "HOME") (builtins.getEnv "SECRET") builtins.nixPath ]'
    assert evaluate(repo, text, pure=pure) == '[ "" "" [ ] ]'
    if not pure:
        assert evaluate(repo, text, restricted=False, pure=pure).startswith('[ "/root" "s3cr3t"')


def test_no_search_path(repo: Path) -> None:
    # `<nixpkgs>` is not found (the search path is ignored): an unknown, as offline.
    assert evaluate(repo, "<nixpkgs>") == "«unknown: <nixpkgs>»"
    assert evaluate(repo, "(import <nixpkgs> { }).hello") == ("«unknown: pkgs.hello»")
    assert evaluate(repo, "<nixpkgs>", restricted=False) == "/etc"


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        (
            'builtins.fetchTarball "https://example.invalid/n.tar.gz"',
            '«unknown: fetchTarball "https://example.invalid/n.tar.gz"»',
        ),
        (
            'builtins.fetchurl { url = "https://example.invalid/f"; sha256 = ""; }',
            '«unknown: builtins.fetchurl "https://example.invalid/f"»',
        ),
        (
            'builtins.fetchGit { url = "ssh://git@example.invalid/r.git"; rev = "0"; }',
            '«unknown: fetchGit "ssh://git@example.invalid/r.git"»',
        ),
        (
            'builtins.fetchTree { type = "github"; owner = "o"; repo = "r"; }',
            '«unknown: fetchTree { owner = "o"; repo = "r"; type = "github"; }»',
        ),
        (
            'builtins.fetchMercurial "https://example.invalid/hg"',
            '«unknown: fetchMercurial "https://example.invalid/hg"»',
        ),
        ("builtins.fetchGit ./.", "«unknown: fetchGit {repo}»"),
    ],
)
def test_fetchers_are_unknowns(repo: Path, text: str, printed: str) -> None:
    # Nothing is fetched (no fetcher has any network code): what they would fetch is an
    # unknown, in restricted mode as offline.
    assert evaluate(repo, text) == printed.replace("{repo}", str(repo))


def test_get_flake_is_there(repo: Path) -> None:
    # Nix 2.8 has it with the flakes feature; ci-eval always (tests/test_get_flake.py).
    assert evaluate(repo, "builtins ? getFlake") == "true"


# --- inside the repository: as unrestricted ---------------------------------------------------

INSIDE_CASES = [
    "import ./in.nix",
    "(import ./sub/x.nix).x",
    "builtins.readFile ./sub/data.txt",
    "builtins.readFile ./inlink",
    'builtins.readFile (./. + "/sub/data.txt")',
    "builtins.readFile ./sub/../in.nix",
    "builtins.readDir ./sub",
    "builtins.attrNames (builtins.readDir ./.)",
    'builtins.hashFile "sha256" ./sub/data.txt',
    "builtins.pathExists ./sub/data.txt",
    "builtins.pathExists ./inlink",
    '"${./sub}"',
    '"${./in.nix}"',
    'builtins.path { path = ./sub; name = "s"; }',
    'builtins.filterSource (p: t: t != "symlink") ./sub',
    'builtins.readFile "${./sub}/data.txt"',
    '(import "${./sub}/x.nix").x',
    'import (builtins.toFile "t.nix" "1 + 1")',
    "builtins.scopedImport { y = 3; } ./sub/x.nix",
    "builtins.tryEval (builtins.readFile ./no-such-file)",
    # Regular expressions run on the interruptible port here: the same matches.
    'builtins.match "([^/]*)/(.*)" "a/b/c"',
    'builtins.split "(a)|b" "xaybzab"',
    'builtins.split "x*" "axxb"',
    'builtins.match "(a|ab)(c|bcd)(d*)" "abcd"',
    # The offline nixpkgs (ci-eval's own .nix models) stays readable.
    '(import (builtins.fetchTarball "https://x/n.tar.gz") { }).lib.optionalAttrs true { a = 1; }',
    'builtins.attrNames (import (builtins.fetchTarball "https://x/n.tar.gz") { }).effects',
]


@pytest.mark.parametrize("text", INSIDE_CASES)
def test_inside_the_repository_as_unrestricted(repo: Path, text: str) -> None:
    try:
        expected = evaluate(repo, text, restricted=False)
    except E.EvalError as err:
        with pytest.raises(type(err)) as info:
            evaluate(repo, text)
        assert info.value.message == err.message
        return
    assert evaluate(repo, text) == expected


def test_symlinked_store_path_is_the_targets_as_in_nix(repo: Path) -> None:
    # Nix's restricted mode copies what checkSourcePath resolved: a symlink in the repository
    # gets its target's store path (unrestricted: the link's own).
    restricted = evaluate(repo, '"${./inlink}"')
    assert restricted == evaluate(repo, 'builtins.path { path = ./sub/data.txt; name = "inlink"; }')
    assert restricted != evaluate(repo, '"${./inlink}"', restricted=False)


def test_missing_file_inside_is_not_found(repo: Path) -> None:
    err = failure(repo, "builtins.readFile ./no-such-file")
    assert type(err) is E.NotFound


def test_repository_reached_through_a_symlink(repo: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(repo)
    m = Machine(unknowns=True, pure=True, allowed_paths=[str(alias)])
    (repo / "via.nix").write_text("builtins.readFile ./sub/data.txt\n")
    assert import_file(m, str(alias / "via.nix")) == "data\n"
    with pytest.raises(E.RestrictedPath):
        import_file(m, str(alias / "link"))


def test_symlink_loops(repo: Path) -> None:
    # As Nix 2.8 --restrict-eval: an error, for pathExists too (unrestricted: true).
    (repo / "loop").symlink_to("loop")
    for text in ("builtins.readFile ./loop", "builtins.pathExists ./loop"):
        err = failure(repo, text)
        assert err.message == f"infinite symlink recursion in path '{repo}/loop'"
        assert not isinstance(err, E.Catchable)
    assert evaluate(repo, "builtins.pathExists ./loop", restricted=False) == "true"


def test_resolving_never_looks_outside(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The symlink's target is refused before anything out there is stat-ed or read.
    looked: list[str] = []
    lstat, readlink = os.lstat, os.readlink

    def spy_lstat(path: str, *args: object, **kwargs: object) -> os.stat_result:
        looked.append(str(path))
        return lstat(path)

    def spy_readlink(path: str, *args: object, **kwargs: object) -> str:
        looked.append(str(path))
        return readlink(path)

    access = PathAccess([str(repo)])
    monkeypatch.setattr(os, "lstat", spy_lstat)
    monkeypatch.setattr(os, "readlink", spy_readlink)
    for path in ("dirlink/secret.txt", "uplink/outdir/secret.txt", "link", "uplink/secret.txt"):
        with pytest.raises(E.RestrictedPath):
            access.check(str(repo / path))
    assert looked
    for path in looked:
        # Inside the repository, or on the way to it (the root's own ancestors).
        assert (
            path == str(repo)
            or path.startswith(str(repo) + "/")
            or str(repo).startswith(path + "/")
        ), path


def test_unrestricted_is_unchanged() -> None:
    access = PathAccess(None)
    assert not access.restricted
    assert access.check("/etc/../etc/passwd") == "/etc/../etc/passwd"
    assert PathAccess([]).restricted
    assert PathAccess([]).allows(MODEL_DIR + "/lib.nix")


# --- nothing outside the repository is opened: audit hooks, in a child process --------------

CHILD = textwrap.dedent(
    """
    import json, os, sys

    repo = sys.argv[1]
    events = []

    def hook(event, args):
        if event in ("open", "os.listdir", "os.scandir") and args and args[0] is not None:
            target = args[0]
            if isinstance(target, (str, bytes, os.PathLike)):
                events.append((event, os.path.abspath(os.fsdecode(target))))
        elif event.startswith(("subprocess.", "os.exec", "os.posix_spawn", "os.spawn",
                               "os.fork", "os.system", "socket.", "urllib.", "http.")):
            events.append((event, repr(args)[:200]))

    sys.addaudithook(hook)  # for good: audit hooks cannot be removed

    from nixeval.builtins.paths import import_file
    from nixeval.eval import errors as E
    from nixeval.eval.machine import Machine
    from nixeval.printing import force_deep, print_value

    results = []
    for name in sorted(os.listdir(repo)):
        if not name.endswith(".nix"):
            continue
        m = Machine(search_path=[("nixpkgs", "/etc")], unknowns=True, pure=True,
                    allowed_paths=[repo])
        try:
            value = import_file(m, os.path.join(repo, name))
            force_deep(m, value)
            results.append((name, print_value(value)))
        except E.EvalError as err:
            results.append((name, f"{err.code}: {err.message}"))
    print(json.dumps({"events": events, "results": results, "path": sys.path}))
    """
)


def test_nothing_outside_the_repository_is_opened(repo: Path) -> None:
    tmp = repo.parent
    files = {
        "a_forbidden.nix": "builtins.readFile /etc/passwd",
        "b_up.nix": "import ../outside.nix",
        "c_link.nix": "builtins.readFile ./dirlink/secret.txt",
        "d_exists.nix": "map builtins.pathExists [ /etc/passwd ./link ./uplink/outdir ]",
        "e_dir.nix": "builtins.readDir ./uplink",
        "f_store.nix": '"${./uplink}"',
        "g_fetch.nix": f'builtins.fetchTarball "file://{tmp}/outdir"',
        "h_search.nix": "import <nixpkgs>",
        "i_home.nix": "builtins.readFile ~/.bashrc",
        "j_findfile.nix": 'builtins.findFile [ { prefix = ""; path = "/"; } ] "etc/passwd"',
        "k_fine.nix": textwrap.dedent(
            """
            let
              pkgs = import (builtins.fetchTarball "https://github.com/NixOS/nixpkgs/archive/x.tar.gz") { };
              effects = pkgs.effects;
            in {
              data = builtins.readFile ./sub/data.txt;
              listing = builtins.readDir ./.;
              store = "${./sub}";
              lib = pkgs.lib.optionalAttrs true { a = 1; };
              fx = builtins.attrNames effects;
              env = builtins.getEnv "HOME";
            }
            """
        ),
    }
    for name, text in files.items():
        (repo / name).write_text(text + "\n")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(repo)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp / "outdir")},
        cwd=str(repo),
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    results = dict(report["results"])
    for name in files:
        if name != "k_fine.nix":
            assert results[name].startswith("E112: ") or results[name] in (
                "[ false false false ]",
                "<PRIMOP>",  # <nixpkgs>, not on the search path: the modelled nixpkgs
            ), (name, results[name])
    assert results["k_fine.nix"].startswith('{ data = "data\\n";')
    assert 'env = "";' in results["k_fine.nix"]

    # The hook does see the evaluator's reads (those inside the repository).
    assert ["open", f"{repo}/sub/data.txt"] in report["events"]
    assert ["os.scandir", str(repo)] in report["events"]

    import nixeval
    from nixeval.sources import cache_dir, store_dir

    # Below these: the repository, ci-eval's package, Python's stdlib and site-packages,
    # and where pinned sources are looked up (the store and the cache; design §7).
    below = (
        str(repo),
        os.path.dirname(os.path.realpath(nixeval.__file__)),
        *{os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)},
        store_dir(),
        str(cache_dir()),
    )
    # The import system lists the directories on sys.path (the checkout, via PYTHONPATH).
    listed = {os.path.abspath(p or ".") for p in report["path"]}
    outside = [
        (event, path)
        for event, path in report["events"]
        if not (event == "os.listdir" and path in listed)
        and not any(
            p == root or p.startswith(root + "/")
            for p in (path, os.path.realpath(path))
            for root in below
        )
    ]
    assert outside == []
