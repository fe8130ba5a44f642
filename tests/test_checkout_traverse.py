"""The checkout a ci file is evaluated for (`nixeval.checkout`) and finding its effects
(`nixeval.hercules.walk`): Hercules CI's file search, its legacy ``ci.nix`` traversal and
its flake ``herculesCI`` traversal (hercules-effects.md §9).

Effect paths are strings as ``-A`` takes them: ``neat-network``, ``a."b.c"``, and for a
flake ``herculesCI.onPush.default.outputs.effects.deploy``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nixeval import checkout as checkout_module
from nixeval.checkout import (
    Checkout,
    checkout_for,
    checkout_without_git,
    default_branch,
    parse_remote,
    repo_root,
    split_ref,
)
from nixeval.eval import errors as E
from nixeval.eval.autocall import show_attr_path
from nixeval.eval.force import force
from nixeval.eval.machine import Machine
from nixeval.hercules.files import CANDIDATES, NoCiFile, find_file, is_flake
from nixeval.hercules.project import load_project
from nixeval.hercules.walk import MISPLACED_MESSAGE, MisplacedEffect, walk
from nixeval.values import Attrs, NixPath, Unknown

from .flake_locks import NIXPKGS_AND_EFFECTS, github, write_lock

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REV = "0123456789abcdef0123456789abcdef01234567"

# The header of every ci.nix written below: effects the way the fixtures make them.
PRELUDE = """
  effectsSrc = builtins.fetchTarball "https://github.com/hercules-ci/hercules-ci-effects/archive/main.tar.gz";
  pkgs = import (builtins.fetchTarball "https://github.com/NixOS/nixpkgs/archive/main.tar.gz") {
    overlays = [ (import "${effectsSrc}/overlay.nix") ];
  };
  inherit (pkgs.effects) runIf mkEffect;
  inherit (pkgs) lib;
  e = name: mkEffect { inherit name; effectScript = "echo ${name}"; };
"""


def known(branch: str = "main", rev: str | None = REV, root: str = "/project") -> Checkout:
    return Checkout(
        ref=f"refs/heads/{branch}",
        branch=branch,
        tag=None,
        rev=rev,
        short_rev=rev[:7] if rev else None,
        root=root,
        remote_http_url="https://github.com/neat-org/neat-repo.git",
        owner="neat-org",
        repo="neat-repo",
    )


UNKNOWN = Checkout(None, None, None, None, None, "/project", None, None, None)


def machine() -> Machine:
    return Machine(unknowns=True, search_path=[])


def write_ci(tmp_path: Path, body: str, args: str = "") -> Path:
    """A ci.nix: ``ARGS let PRELUDE in BODY``."""
    path = tmp_path / "ci.nix"
    path.write_text(f"{args}\nlet{PRELUDE}in\n{body}\n", encoding="utf-8")
    return path


def load_root(m: Machine, file: str, checkout: Checkout) -> Any:
    """The value the agent walks in the project of `file`."""
    return load_project(m, file, checkout).root


def effects_of(
    file: Path | str,
    checkout: Checkout | None = None,
    attr_path: list[str] | None = None,
) -> list[str]:
    project = load_project(machine(), str(file), checkout or known())
    return [path for path, _ in walk(project.machine, project.root, attr_path or [], project.jobs)]


# --- checkout from the --as-* flags ---------------------------------------------------------


@pytest.fixture
def no_git_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """git that reads no user configuration, and finds no repository above tmp_path."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("flags", "ref", "branch", "tag"),
    [
        ({"as_branch": "production"}, "refs/heads/production", "production", None),
        ({"as_tag": "v1.2"}, "refs/tags/v1.2", None, "v1.2"),
        ({"as_ref": "refs/heads/feature/x"}, "refs/heads/feature/x", "feature/x", None),
        ({"as_ref": "refs/tags/v2"}, "refs/tags/v2", None, "v2"),
        ({"as_ref": "refs/pull/7/head"}, "refs/pull/7/head", None, None),
    ],
)
def test_checkout_from_flags(
    no_git_config: None,
    tmp_path: Path,
    flags: dict[str, str],
    ref: str,
    branch: str | None,
    tag: str | None,
) -> None:
    arguments: dict[str, str | None] = {"as_branch": None, "as_ref": None, "as_tag": None}
    arguments.update(flags)
    co = checkout_for(str(tmp_path), **arguments)
    assert (co.ref, co.branch, co.tag) == (ref, branch, tag)
    assert co.to_json() == {"ref": ref, "branch": branch, "tag": tag, "rev": None}
    assert co.root == str(tmp_path)
    src = co.src_value(machine())
    assert src.items["ref"] == ref
    assert src.items["branch"] == branch
    assert src.items["tag"] == tag  # known: null when the ref is not a tag
    assert type(src.items["rev"]) is Unknown
    assert src.items["outPath"] == NixPath(str(tmp_path))


def test_checkout_flags_are_exclusive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at most one"):
        checkout_for(str(tmp_path), "main", None, "v1")


def test_split_ref() -> None:
    assert split_ref("refs/heads/a/b") == ("a/b", None)
    assert split_ref("refs/tags/v1") == (None, "v1")
    assert split_ref("refs/heads/") == (None, None)
    assert split_ref(None) == (None, None)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "git@github.com:neat-org/neat-repo.git",
            ("https://github.com/neat-org/neat-repo.git", "neat-org", "neat-repo"),
        ),
        (
            "https://github.com/neat-org/neat-repo",
            ("https://github.com/neat-org/neat-repo", "neat-org", "neat-repo"),
        ),
        (
            "https://user:secret@github.com/neat-org/neat-repo.git",
            ("https://github.com/neat-org/neat-repo.git", "neat-org", "neat-repo"),
        ),
        (
            "ssh://git@github.com:22/neat-org/neat-repo.git",
            ("https://github.com/neat-org/neat-repo.git", "neat-org", "neat-repo"),
        ),
        (
            "https://gitlab.com/group/sub/project.git",
            ("https://gitlab.com/group/sub/project.git", None, None),
        ),
        ("/srv/git/project.git", (None, None, None)),
        ("file:///srv/git/project.git", (None, None, None)),
        (None, (None, None, None)),
    ],
)
def test_parse_remote(url: str | None, expected: tuple[str | None, ...]) -> None:
    assert parse_remote(url) == expected


# --- checkout from git ----------------------------------------------------------------------


def git(directory: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(directory), *args],
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.invalid",
        },
    )
    return done.stdout.strip()


@pytest.fixture
def repo(no_git_config: None, tmp_path: Path) -> Path:
    """A git repository on branch main with one commit, a ci.nix in `sub/`, and a
    GitHub remote."""
    directory = tmp_path / "repo"
    (directory / "sub").mkdir(parents=True)
    (directory / "sub" / "ci.nix").write_text("{ }\n", encoding="utf-8")
    git(directory, "init", "-q", "-b", "main")
    git(directory, "add", "sub/ci.nix")
    git(directory, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "first")
    git(directory, "remote", "add", "origin", "git@github.com:neat-org/neat-repo.git")
    return directory


def test_checkout_from_git_branch(repo: Path) -> None:
    rev = git(repo, "rev-parse", "HEAD")
    co = checkout_for(str(repo / "sub"), None, None, None)
    assert co == Checkout(
        ref="refs/heads/main",
        branch="main",
        tag=None,
        rev=rev,
        short_rev=rev[:7],
        root=git(repo, "rev-parse", "--show-toplevel"),
        remote_http_url="https://github.com/neat-org/neat-repo.git",
        owner="neat-org",
        repo="neat-repo",
    )
    src = co.src_value(machine())
    assert src.names() == ["branch", "outPath", "ref", "remoteHttpUrl", "rev", "shortRev", "tag"]
    assert (src.items["rev"], src.items["shortRev"]) == (rev, rev[:7])
    assert src.items["outPath"] == NixPath(co.root)


def test_checkout_asks_git_in_one_round(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A main job pays for every git process it waits for: on a branch with a commit,
    # the checkout is two processes started together, whatever the flags.
    started: list[list[str]] = []
    real_init = subprocess.Popen.__init__

    def counting(self: subprocess.Popen[Any], args: list[str], *rest: Any, **kw: Any) -> None:
        started.append(list(args))
        real_init(self, args, *rest, **kw)

    monkeypatch.setattr(subprocess.Popen, "__init__", counting)
    for flags in ((None, None, None), ("main", None, None), (None, None, "v9")):
        started.clear()
        co = checkout_for(str(repo / "sub"), *flags)
        assert co.rev is not None and co.owner == "neat-org"
        assert [a[3:5] for a in started] == [["rev-parse", "--show-toplevel"], ["config", "--get"]]


def test_checkout_flag_wins_over_git(repo: Path) -> None:
    rev = git(repo, "rev-parse", "HEAD")
    co = checkout_for(str(repo), None, None, "v9")
    assert (co.ref, co.branch, co.tag, co.rev) == ("refs/tags/v9", None, "v9", rev)


def test_checkout_tagged_commit_on_a_branch_is_the_branch(repo: Path) -> None:
    git(repo, "tag", "v1")
    co = checkout_for(str(repo), None, None, None)
    assert (co.ref, co.branch, co.tag) == ("refs/heads/main", "main", None)


def test_checkout_detached_head_has_no_ref(repo: Path) -> None:
    # Even at a tag: a detached HEAD says nothing about which ref was pushed.
    git(repo, "tag", "v1")
    git(repo, "checkout", "-q", "--detach", "v1")
    rev = git(repo, "rev-parse", "HEAD")
    co = checkout_for(str(repo), None, None, None)
    assert (co.ref, co.branch, co.tag, co.rev) == (None, None, None, rev)
    src = co.src_value(machine())
    for name in ("ref", "branch", "tag"):
        assert type(src.items[name]) is Unknown
        assert src.items[name].provenance.startswith(f"src.{name} (")
        assert "--as-branch" in src.items[name].provenance
    assert src.items["rev"] == rev


def test_checkout_repository_without_commits(no_git_config: None, tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "trunk")
    co = checkout_for(str(tmp_path), None, None, None)
    assert (co.ref, co.branch, co.rev, co.short_rev) == ("refs/heads/trunk", "trunk", None, None)


def test_checkout_outside_git(no_git_config: None, tmp_path: Path) -> None:
    co = checkout_for(str(tmp_path), None, None, None)
    assert co == Checkout(None, None, None, None, None, str(tmp_path), None, None, None)
    assert co.to_json() == {"ref": None, "branch": None, "tag": None, "rev": None}
    src = co.src_value(machine())
    assert all(type(src.items[name]) is Unknown for name in src.names() if name != "outPath")


def test_checkout_without_git_installed(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(checkout_module, "GIT", str(tmp_path / "no-such-git"))
    co = checkout_for(str(repo), None, None, None)
    assert co == Checkout(None, None, None, None, None, str(repo), None, None, None)
    co = checkout_for(str(repo), "main", None, None)
    assert (co.ref, co.branch, co.rev) == ("refs/heads/main", "main", None)


# --- the checkout read from the repository's files (no git process) -----------------------


def both(directory: Path, **flags: str) -> tuple[Checkout, Checkout]:
    """The checkout as git says it and as the files say it (no process may start)."""
    arguments: dict[str, str | None] = {"as_branch": None, "as_ref": None, "as_tag": None}
    arguments.update(flags)
    with_git = checkout_for(str(directory), **arguments)
    return with_git, checkout_for(str(directory), **arguments, use_git=False)


@pytest.fixture
def no_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to start a process fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    monkeypatch.setattr(os, "posix_spawn", refuse)
    monkeypatch.setattr(os, "fork", refuse)


def test_files_checkout_on_a_branch(repo: Path) -> None:
    for directory in (repo, repo / "sub"):
        with_git, from_files = both(directory)
        assert from_files == with_git
    assert from_files.branch == "main" and from_files.owner == "neat-org"
    # A file stands for its directory (git -C would not take one).
    assert from_files == checkout_without_git(str(repo / "sub" / "ci.nix"))


def test_checkouts_equal_but_for_how_tracked_files_are_read_hash_alike(repo: Path) -> None:
    """Equality and hashing leave `tracked_from` out (and the tracked files, read once);
    a checkout is not equal to a tuple of its fields."""
    with_git, from_files = both(repo)
    assert (with_git.tracked_from, from_files.tracked_from) == ("git", "index")
    assert with_git == from_files and hash(with_git) == hash(from_files)
    assert len({with_git, from_files}) == 1
    assert with_git != known(root=from_files.root)
    assert from_files != (from_files.ref, from_files.branch, from_files.tag, from_files.rev)
    assert from_files.tracked == frozenset({"sub/ci.nix"})
    (repo / ".git" / "index").unlink()
    assert from_files.tracked == frozenset({"sub/ci.nix"})  # read when first asked for only
    assert checkout_without_git(str(repo)).tracked is None  # a new checkout reads it again
    assert checkout_without_git(str(repo)) == from_files


def test_files_checkout_starts_no_process(repo: Path, no_processes: None) -> None:
    co = checkout_without_git(str(repo))
    assert (co.ref, co.remote_http_url) == (
        "refs/heads/main",
        "https://github.com/neat-org/neat-repo.git",
    )
    assert co.rev is not None and len(co.rev) == 40
    assert default_branch(str(repo)) == "main"
    assert repo_root(str(repo / "sub" / "ci.nix")) == str(repo)


def test_files_checkout_flags(repo: Path) -> None:
    for flags in ({"as_branch": "production"}, {"as_tag": "v9"}, {"as_ref": "refs/pull/1/head"}):
        with_git, from_files = both(repo, **flags)
        assert from_files == with_git
    with pytest.raises(ValueError):
        checkout_without_git(str(repo), as_branch="a", as_tag="b")


def test_files_checkout_detached_and_tags(repo: Path) -> None:
    git(repo, "tag", "v1")
    git(repo, "tag", "-a", "-m", "annotated", "v2")
    git(repo, "checkout", "-q", "--detach", "v2")
    with_git, from_files = both(repo)
    assert from_files == with_git
    assert (from_files.ref, from_files.rev) == (None, git(repo, "rev-parse", "HEAD"))


def test_files_checkout_packed_refs(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature/x")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", "second")
    git(repo, "tag", "-a", "-m", "annotated", "v3")
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "feature" / "x").exists()
    assert "refs/heads/feature/x" in (repo / ".git" / "packed-refs").read_text()
    with_git, from_files = both(repo)
    assert from_files == with_git
    assert (from_files.branch, from_files.rev) == ("feature/x", git(repo, "rev-parse", "HEAD"))
    # A loose ref wins over its packed (older) value.
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", "third")
    assert both(repo)[1].rev == git(repo, "rev-parse", "HEAD")
    assert default_branch(str(repo)) == "main"  # packed, no origin/HEAD


def test_files_checkout_worktree(repo: Path, tmp_path: Path) -> None:
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(worktree))
    git(worktree, "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", "wt")
    assert (worktree / ".git").is_file()
    with_git, from_files = both(worktree)
    assert from_files == with_git
    assert (from_files.branch, from_files.root, from_files.owner) == (
        "feature",
        str(worktree),
        "neat-org",
    )
    assert from_files.rev == git(worktree, "rev-parse", "HEAD") != git(repo, "rev-parse", "HEAD")
    git(repo, "pack-refs", "--all")
    assert both(worktree)[1] == with_git
    git(worktree, "checkout", "-q", "--detach")
    with_git, from_files = both(worktree)
    assert from_files == with_git and from_files.ref is None
    assert repo_root(str(worktree / "x.nix")) == str(worktree)


def test_files_checkout_separate_git_dir_and_submodule(no_git_config: None, tmp_path: Path) -> None:
    # `.git` as a file: `git init --separate-git-dir` (and submodules) make one.
    work = tmp_path / "work"
    git(
        tmp_path, "init", "-q", "-b", "trunk", "--separate-git-dir", str(tmp_path / "gd"), str(work)
    )
    git(work, "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", "one")
    git(work, "remote", "add", "origin", "https://gitlab.com/o/r.git")
    assert (work / ".git").read_text().startswith("gitdir:")
    with_git, from_files = both(work)
    assert from_files == with_git
    assert (from_files.branch, from_files.owner, from_files.repo) == ("trunk", "o", "r")
    # A submodule of another repository: its .git file points into the parent's .git.
    parent = tmp_path / "parent"
    git(tmp_path, "init", "-q", "-b", "main", str(parent))
    git(
        parent,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(work),
        "mod",
    )
    submodule = parent / "mod"
    assert (submodule / ".git").is_file()
    with_git, from_files = both(submodule)
    assert from_files == with_git
    assert from_files.root == str(submodule)


def test_files_checkout_without_commits_and_outside_git(
    no_git_config: None, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    with_git, from_files = both(outside)
    assert (
        from_files
        == with_git
        == Checkout(None, None, None, None, None, str(outside), None, None, None)
    )
    assert default_branch(str(outside)) is None
    assert repo_root(str(outside / "ci.nix")) == str(outside)
    assert repo_root(str(outside)) == str(outside)
    fresh = tmp_path / "fresh"
    git(tmp_path, "init", "-q", "-b", "trunk", str(fresh))
    with_git, from_files = both(fresh)
    assert from_files == with_git
    assert (from_files.ref, from_files.rev) == ("refs/heads/trunk", None)
    assert default_branch(str(fresh)) is None  # trunk is not born yet


def test_default_branch_from_the_remote_head(no_git_config: None, tmp_path: Path) -> None:
    upstream = tmp_path / "upstream"
    git(tmp_path, "init", "-q", "-b", "develop", str(upstream))
    git(upstream, "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", "one")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    git(clone, "checkout", "-q", "-b", "topic")
    assert (clone / ".git" / "refs" / "remotes" / "origin" / "HEAD").is_file()
    assert default_branch(str(clone)) == "develop"
    git(clone, "pack-refs", "--all")
    assert default_branch(str(clone)) == "develop"  # the symbolic ref stays loose
    with_git, from_files = both(clone)
    assert from_files == with_git and from_files.branch == "topic"
    # Without the remote's HEAD: a local main, else master, else nothing.
    (clone / ".git" / "refs" / "remotes" / "origin" / "HEAD").unlink()
    assert default_branch(str(clone)) is None
    git(clone, "branch", "master")
    assert default_branch(str(clone)) == "master"
    git(clone, "branch", "main")
    assert default_branch(str(clone)) == "main"


def test_files_checkout_malformed_head(repo: Path) -> None:
    # A HEAD that would lead out of the git directory names no ref.
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/../../../../etc/passwd\n")
    co = checkout_without_git(str(repo))
    assert (co.ref, co.rev) == (None, None)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/a\nref: refs/heads/b\n")
    assert checkout_without_git(str(repo)).ref is None


def test_repo_root_counts_a_git_file(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / ".git").write_text("gitdir: /nowhere\n")
    assert repo_root(str(tmp_path / "a" / "b" / "ci.nix")) == str(tmp_path / "a")
    assert repo_root(str(tmp_path / "a" / "b")) == str(tmp_path / "a")


CONFIG = r"""
# a comment
[core]
	bare = false ; another
[Remote "origin"]
	URL = "https://github.com/o/first.git"
[remote "Origin"]
	url = https://example.org/not-this-one
[remote "origin"]
	url = "https://github.com/o/quoted \"name\".git"  # trailing comment
	fetch = +refs/heads/*:refs/remotes/origin/*
[remote "other"] url = https://example.org/other
[branch "main"]
	remote = origin
	description = a value \
continued here
	flag
"""


@pytest.mark.parametrize(
    "key",
    [
        "remote.origin.url",
        "remote.Origin.url",
        "remote.other.url",
        "core.bare",
        "branch.main.remote",
        "branch.main.description",
        "branch.main.flag",
        "remote.origin.pushurl",
    ],
)
def test_config_values_as_git_reads_them(tmp_path: Path, key: str) -> None:
    path = tmp_path / "config"
    path.write_text(CONFIG)
    done = subprocess.run(
        ["git", "config", "--file", str(path), "--get", key], capture_output=True, text=True
    )
    expected = done.stdout[:-1] if done.returncode == 0 else None
    section, _, rest = key.partition(".")
    subsection, _, name = rest.rpartition(".")
    assert checkout_module._config_value(CONFIG, section, subsection or None, name) == expected


def test_src_ref_unknown_stops_with_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "ci.nix"
    path.write_text(
        '{ src ? { ref = null; } }: { x = if src.ref == "refs/heads/production" then 1 else 2; }'
    )
    m = machine()
    root = load_root(m, str(path), UNKNOWN)
    with pytest.raises(E.NeedsValue) as info:
        force(root.items["x"])
    assert "src.ref (the checkout's git ref: pass --as-branch, --as-ref or --as-tag)" in str(
        info.value
    )


def test_herculesci_args() -> None:
    m = machine()
    args = known().herculesci_args(m)
    assert args.names() == ["branch", "herculesCI", "primaryRepo", "ref", "rev", "shortRev", "tag"]
    repo = force(args.items["primaryRepo"])
    assert {name: repo.items[name] for name in repo.names()} == {
        "branch": "main",
        "forgeType": "github",
        "name": "neat-repo",
        "owner": "neat-org",
        "ref": "refs/heads/main",
        "remoteHttpUrl": "https://github.com/neat-org/neat-repo.git",
        "remoteSshUrl": "git@github.com:neat-org/neat-repo.git",
        "rev": REV,
        "shortRev": REV[:7],
        "tag": None,
        "webUrl": "https://github.com/neat-org/neat-repo",
    }
    hercules = force(args.items["herculesCI"])
    assert hercules.items == {"apiBaseUrl": "https://hercules-ci.com", "ciSystems": None}

    unknown = UNKNOWN.herculesci_args(m)
    assert unknown.items["branch"].provenance.startswith("branch (the checkout's branch: pass")
    repo = force(unknown.items["primaryRepo"])
    assert repo.items["owner"].provenance.startswith("primaryRepo.owner (")
    assert force(unknown.items["herculesCI"]).items["ciSystems"] is None
    # For a flake, primaryRepo.outPath is the flake's own.
    with_out_path = known().herculesci_args(m, "/project")
    assert force(with_out_path.items["primaryRepo"]).items["outPath"] == "/project"


# --- the file search ------------------------------------------------------------------------


def test_find_file_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent's order: nix/ci.nix or ci.nix, then flake.nix, then default.nix."""
    assert CANDIDATES == ("nix/ci.nix", "ci.nix", "flake.nix", "default.nix")
    (tmp_path / "nix").mkdir()
    for name in ("default.nix", "flake.nix", "ci.nix"):
        (tmp_path / name).write_text("{ }")
        assert find_file(str(tmp_path)) == str(tmp_path / name)
    monkeypatch.chdir(tmp_path)
    assert find_file(None) == "ci.nix"
    assert find_file("default.nix") == "default.nix"  # a file is itself
    (tmp_path / "ci.nix").unlink()
    (tmp_path / "nix" / "ci.nix").write_text("{ }")
    assert find_file(None) == "nix/ci.nix"


def test_find_file_flake_before_default(tmp_path: Path) -> None:
    """A flake with a flake-compat default.nix is evaluated as a flake."""
    (tmp_path / "default.nix").write_text("(import ./compat.nix { src = ./.; }).defaultNix")
    (tmp_path / "flake.nix").write_text("{ outputs = _: { }; }")
    assert find_file(str(tmp_path)) == str(tmp_path / "flake.nix")
    assert is_flake(find_file(str(tmp_path)))
    assert not is_flake(str(tmp_path / "ci.nix"))


def test_find_file_both_ci_files(tmp_path: Path) -> None:
    (tmp_path / "nix").mkdir()
    (tmp_path / "nix" / "ci.nix").write_text("{ }")
    (tmp_path / "ci.nix").write_text("{ }")
    with pytest.raises(NoCiFile, match=r"neither nix/ci\.nix nor ci\.nix .*only one of them"):
        find_file(str(tmp_path))


def test_find_file_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ci.nix").write_text("{ }")  # deeper: never an entry point
    with pytest.raises(NoCiFile) as info:
        find_file(str(tmp_path))
    message = str(info.value)
    assert str(tmp_path) in message
    assert "nix/ci.nix, ci.nix, flake.nix or default.nix" in message
    assert isinstance(info.value, FileNotFoundError)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NoCiFile, match="the current directory"):
        find_file(None)
    with pytest.raises(NoCiFile, match=r"missing\.nix"):
        find_file("missing.nix")


# --- legacy traversal -----------------------------------------------------------------------


def test_legacy_root_and_recurse_for_derivations(tmp_path: Path) -> None:
    path = write_ci(
        tmp_path,
        """{
          top = e "top";
          plain = { hidden = e "hidden"; };
          nested = { recurseForDerivations = true; inner = e "inner";
                     deeper = { recurseForDerivations = true; x = e "x"; }; };
          viaLib = lib.recurseIntoAttrs { y = e "y"; };
          off = { recurseForDerivations = false; z = e "z"; };
          notEffects = { recurseForDerivations = true; n = 1; s = "s"; l = [ (e "l") ]; };
          "B" = e "B";
        }""",
    )
    assert effects_of(path) == ["B", "nested.deeper.x", "nested.inner", "top", "viaLib.y"]


def test_legacy_run_if_is_yielded_not_descended(tmp_path: Path) -> None:
    path = write_ci(
        tmp_path,
        '{ yes = runIf true (e "a"); no = runIf false (e "b"); }',
    )
    m = machine()
    found = dict(walk(m, load_root(m, str(path), known()), [], False))
    assert list(found) == ["no", "yes"]
    assert "run" in found["yes"].items and "dependencies" in found["no"].items


def test_legacy_depth_limit(tmp_path: Path) -> None:
    def nest(levels: int, leaf: str) -> str:
        text = f'e "{leaf}"'
        for _ in range(levels - 1):
            text = f"lib.recurseIntoAttrs {{ a = {text}; }}"
        return text

    path = write_ci(tmp_path, f"{{ ten = {nest(10, 'ten')}; eleven = {nest(11, 'eleven')}; }}")
    assert effects_of(path) == ["ten" + ".a" * 9]
    # The limit counts from where the walk starts.
    assert effects_of(path, attr_path=["eleven"]) == ["eleven" + ".a" * 10]


def test_legacy_functions_are_auto_called(tmp_path: Path) -> None:
    path = write_ci(
        tmp_path,
        """{
          defaults = { n ? "d" }: e n;
          functor = { __functor = self: { k ? 1 }: lib.recurseIntoAttrs { f = e "f"; }; };
          needsArg = { pkgs }: e "never";
          plainLambda = x: e "never";
          set = lib.recurseIntoAttrs { g = { }: e "g"; };
        }""",
    )
    assert effects_of(path) == ["defaults", "functor.f", "set.g"]


def test_legacy_derivations_are_leaves(tmp_path: Path) -> None:
    path = write_ci(
        tmp_path,
        """{
          build = { type = "derivation"; name = "b"; recurseForDerivations = true;
                    inner = e "inner"; };
          marked = { type = "derivation"; name = "m"; isEffect = true; };
          unmarked = { type = "derivation"; name = "u"; isEffect = false; };
        }""",
    )
    assert effects_of(path) == ["marked"]


def test_legacy_unknowns_are_skipped(tmp_path: Path) -> None:
    path = write_ci(tmp_path, '{ pkg = pkgs.hello; set = lib.recurseIntoAttrs pkgs; x = e "x"; }')
    assert effects_of(path) == ["x"]


def test_legacy_names_needing_quotes(tmp_path: Path) -> None:
    path = write_ci(tmp_path, '{ "a.b" = lib.recurseIntoAttrs { "c" = e "c"; }; }')
    assert effects_of(path) == ['"a.b".c']
    assert show_attr_path(["x", "y.z", ""]) == 'x."y.z".""'
    assert effects_of(path, attr_path=["a.b", "c"]) == ['"a.b".c']


def test_legacy_root_function_gets_src(tmp_path: Path) -> None:
    body = '{ x = runIf (src.ref == "refs/heads/main") (e "x"); }'
    for args in (
        "{ src }:",
        "{ src ? { ref = null; } }:",
        "{ src, ... }:",
        "args@{ ... }: with args;",
    ):
        path = write_ci(tmp_path, body, args)
        m = machine()
        found = dict(walk(m, load_root(m, str(path), known("main")), [], False))
        assert "run" in found["x"].items, args
    # Not asked for: not passed (the function would refuse an unexpected argument).
    path = write_ci(tmp_path, '{ x = e "x"; }', "{ other ? 1 }:")
    assert effects_of(path) == ["x"]


def test_legacy_root_function_with_a_required_argument(tmp_path: Path) -> None:
    path = write_ci(tmp_path, '{ x = e "x"; }', "{ src, pkgs }:")
    with pytest.raises(E.BadArgument, match="argument without a value \\('pkgs'\\)") as info:
        load_root(machine(), str(path), known())
    assert info.value.hint is not None and "src" in info.value.hint


def test_legacy_selection(tmp_path: Path) -> None:
    path = write_ci(
        tmp_path,
        """{
          group = { a = e "a"; b = lib.recurseIntoAttrs { c = e "c"; }; };
          fn = { n ? "f" }: { inner = e n; };
          unknown = pkgs.hello;
          number = 1;
        }""",
    )
    assert effects_of(path, attr_path=["group"]) == ["group.a", "group.b.c"]
    assert effects_of(path, attr_path=["group", "a"]) == ["group.a"]
    assert effects_of(path, attr_path=["fn", "inner"]) == ["fn.inner"]
    with pytest.raises(E.MissingAttribute, match="'grup' in selection path 'grup'") as info:
        effects_of(path, attr_path=["grup"])
    assert info.value.hint == "did you mean 'group'?"
    # Selected, an unknown is listed as it is (what it is, the description says).
    assert effects_of(path, attr_path=["unknown"]) == ["unknown"]
    with pytest.raises(E.TypeMismatch, match="'number' should be a set or an effect"):
        effects_of(path, attr_path=["number"])


def test_legacy_errors_propagate_with_the_attribute(tmp_path: Path) -> None:
    path = write_ci(tmp_path, '{ a = e "a"; bad = lib.recurseIntoAttrs { x = throw "no"; }; }')
    m = machine()
    found = walk(m, load_root(m, str(path), known()), [], False)
    assert next(found)[0] == "a"
    with pytest.raises(E.Thrown) as info:
        next(found)
    messages = [frame.message for frame in info.value.trace]
    assert messages.count("while looking for effects in the attribute 'bad.x'") == 1
    assert not any("'bad'" in message for message in messages)


# --- the fixtures ---------------------------------------------------------------------------


def test_fixture_neat_network() -> None:
    for branch, key in (("production", "run"), ("main", "dependencies")):
        m = machine()
        file = find_file(str(FIXTURES / "neat-network"))
        root = load_root(m, file, known(branch))
        found = list(walk(m, root, [], False))
        assert [path for path, _ in found] == ["neat-network"]
        assert key in found[0][1].items
        assert [p for p, _ in walk(m, root, ["neat-network"], False)] == ["neat-network"]


def test_fixture_typical() -> None:
    file = FIXTURES / "typical" / "ci.nix"
    assert effects_of(file, known("main")) == ["production", "staging"]
    assert effects_of(file, known("production")) == ["production", "staging"]
    with pytest.raises(E.NeedsValue, match=r"src\.ref"):
        effects_of(file, UNKNOWN)


FLAKE_PATH = "herculesCI.onPush.default.outputs.effects.deploy"


def test_fixture_flake() -> None:
    file = find_file(str(FIXTURES / "flake-herculesci"))
    assert file.endswith("flake.nix")
    assert effects_of(file, known("main")) == [FLAKE_PATH]
    assert effects_of(file, known("main"), FLAKE_PATH.split(".")) == [FLAKE_PATH]
    assert effects_of(file, known("main"), ["herculesCI", "onPush"]) == [FLAKE_PATH]
    m = machine()
    root = load_root(m, file, known("main"))
    ((_, value),) = walk(m, root, [], True)
    assert "run" in value.items


def write_flake(tmp_path: Path, ci: str, inputs: str = "") -> Path:
    write_lock(tmp_path, NIXPKGS_AND_EFFECTS)
    path = tmp_path / "flake.nix"
    path.write_text(
        f"""{{
  inputs = {{
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-23.11";
    hercules-ci-effects.url = "github:hercules-ci/hercules-ci-effects";
    {inputs}
  }};
  outputs = {{ self, nixpkgs, hercules-ci-effects, ... }}@inputs:
    let
      pkgs = nixpkgs.legacyPackages.x86_64-linux;
      hci = hercules-ci-effects.lib.withPkgs pkgs;
      e = name: hci.mkEffect {{ inherit name; effectScript = "echo"; }};
      inherit (hci) runIf;
    in {{
      packages.x86_64-linux.default = pkgs.hello;
      herculesCI = {ci};
    }};
}}
""",
        encoding="utf-8",
    )
    return path


def test_flake_effects_only_below_effects(tmp_path: Path) -> None:
    path = write_flake(
        tmp_path,
        """{ branch, ... }: {
          onPush.default.outputs = {
            effects.ok = e "ok";
            deploy = e "misplaced";
          };
        }""",
    )
    with pytest.raises(MisplacedEffect) as info:
        effects_of(path)
    err = info.value
    assert err.message == MISPLACED_MESSAGE
    assert str(err) == (
        "This derivation is marked as an effect, but effects are only allowed below the "
        "effects attribute."
    )
    assert err.attr_path == "herculesCI.onPush.default.outputs.deploy"
    assert err.code == "E211"
    assert err.hint is not None and "herculesCI.onPush.default.outputs.effects" in err.hint
    assert err.source is not None and err.span is not None
    assert err.source.text[err.span.start :].startswith("deploy")
    # Selecting the effect itself still yields it.
    assert effects_of(path, attr_path=err.attr_path.split(".")) == [err.attr_path]


def test_flake_run_if_false_outside_effects_is_only_built(tmp_path: Path) -> None:
    # runIf false gives `dependencies` (not an effect): Hercules CI builds it, no error.
    path = write_flake(
        tmp_path,
        '{ onPush.default.outputs = { deps = runIf false (e "x"); effects.y = e "y"; }; }',
    )
    assert effects_of(path) == ["herculesCI.onPush.default.outputs.effects.y"]
    path = write_flake(tmp_path, '{ onPush.default.outputs.deps = runIf true (e "x"); }')
    with pytest.raises(MisplacedEffect, match="only allowed below"):
        effects_of(path)


def test_flake_traversal(tmp_path: Path) -> None:
    path = write_flake(
        tmp_path,
        """{ primaryRepo, herculesCI, ... }: {
          ciSystems = [ "x86_64-linux" ];
          onPush.default.outputs.effects = {
            a.b.c = e "nested";
            off = { recurseForDerivations = false; x = e "x"; };
            "dotted.name" = e "d";
          };
          onPush.other.outputs = { effects.z = e "z"; checks = pkgs.hello; };
          onSchedule.nightly = {
            when.hour = 3;
            outputs = { effects.n = runIf (primaryRepo.branch == "main") (e "n"); };
          };
          onSchedule.fn.outputs = { }: { effects.called = e "called"; };
        }""",
    )
    assert effects_of(path) == [
        "herculesCI.onPush.default.outputs.effects.a.b.c",
        'herculesCI.onPush.default.outputs.effects."dotted.name"',
        "herculesCI.onPush.other.outputs.effects.z",
        "herculesCI.onSchedule.fn.outputs.effects.called",
        "herculesCI.onSchedule.nightly.outputs.effects.n",
    ]


def test_flake_herculesci_attrset_and_self(tmp_path: Path) -> None:
    path = write_flake(
        tmp_path,
        """{
          onPush.default.outputs.effects.deploy = e (baseNameOf (toString self.outPath));
        } // { inherit (self) sourceInfo; inputNames = builtins.attrNames self.inputs; }""",
    )
    m = machine()
    root = load_root(m, str(path), known())
    assert type(root) is Attrs
    # The outputs, and what Nix's call-flake adds to them.
    assert root.names() == [
        "_type",
        "herculesCI",
        "inputs",
        "lastModified",
        "lastModifiedDate",
        "narHash",
        "outPath",
        "outputs",
        "packages",
        "rev",
        "shortRev",
        "sourceInfo",
    ]
    ((found, value),) = walk(m, root, [], True)
    assert found == "herculesCI.onPush.default.outputs.effects.deploy"
    assert force(value.items["name"]) == f"effect-{tmp_path.name}"
    hci = force(root.items["herculesCI"])
    assert [force(x) for x in force(hci.items["inputNames"])] == [
        "hercules-ci-effects",
        "nixpkgs",
    ]
    info = force(hci.items["sourceInfo"])
    assert force(info.items["outPath"]) == str(tmp_path)
    assert force(info.items["rev"]) == REV


def test_flake_herculesci_formals_without_ellipsis(tmp_path: Path) -> None:
    # The agent calls a flake's herculesCI with all its arguments (its optionalCall), so
    # a function without `...` fails as it fails there: with an unexpected argument.
    path = write_flake(
        tmp_path, "{ branch, ... }: { onPush.default.outputs.effects.x = e branch; }"
    )
    assert effects_of(path) == ["herculesCI.onPush.default.outputs.effects.x"]
    path = write_flake(tmp_path, "{ branch }: { onPush.default.outputs.effects.x = e branch; }")
    with pytest.raises(E.BadArgument, match="called with unexpected argument"):
        effects_of(path)


def test_flake_unknown_outputs(tmp_path: Path) -> None:
    write_lock(tmp_path, {"other": github("o", "other")})
    path = tmp_path / "flake.nix"
    path.write_text(
        '{ inputs.other.url = "github:o/other"; outputs = { other, ... }: other.makeOutputs { }; }'
    )
    # The outputs are unknown: listed (the root), not an error and not dropped.
    assert effects_of(path) == [""]


def test_unknown_run_if_condition_stops_the_walk() -> None:
    with pytest.raises(E.NeedsValue, match=r"src\.ref"):
        effects_of(FIXTURES / "neat-network" / "ci.nix", UNKNOWN)


def test_flake_parts_outputs_are_unknown(tmp_path: Path) -> None:
    # flake-parts' source is not at hand: its lib is unknown (not a stand-in), so are
    # the outputs it makes, and the walk says so.
    write_lock(tmp_path, {"flake-parts": github("hercules-ci", "flake-parts")})
    path = tmp_path / "flake.nix"
    path.write_text(
        '{ inputs.flake-parts.url = "github:hercules-ci/flake-parts";'
        " outputs = inputs@{ flake-parts, ... }: flake-parts.lib.mkFlake { inherit inputs; } { }; }"
    )
    # The outputs are unknown: listed (the root), not an error and not dropped.
    assert effects_of(path) == [""]


def test_a_flake_in_git_sees_only_tracked_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nix fetches the flake as git+file: what git does not track is not in its source.
    from .git_repos import clean_env, git, new_repo

    env = clean_env(tmp_path)
    for name in ("HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM"):
        if name in env:
            monkeypatch.setenv(name, env[name])
    repo = tmp_path / "repo"
    new_repo(repo, env)
    (repo / "flake.nix").write_text(
        "{ outputs = { self }: { effects = { ... }: {\n"
        "  x = import ./extra.nix;\n"
        "  seen = builtins.attrNames (builtins.readDir ./.);\n"
        "}; }; }\n"
    )
    (repo / "extra.nix").write_text("{ isEffect = true; }\n")
    git(repo, env, "add", "flake.nix")
    checkout = checkout_for(str(repo), "main", None, None)
    assert checkout.tracked == frozenset({"flake.nix"})
    with pytest.raises(E.NotFound, match=r"extra\.nix' is not tracked by git") as info:
        effects_of(repo / "flake.nix", checkout)
    assert "git add" in (info.value.hint or "")
    m = machine()
    root = load_project(m, str(repo / "flake.nix"), checkout).root
    effects = force(m.call(force(root.items["effects"]), Attrs({})))
    seen = force(effects.items["seen"])
    assert [force(x) for x in seen] == ["flake.nix"]  # readDir lists tracked files only

    git(repo, env, "add", "extra.nix")
    checkout = checkout_for(str(repo), "main", None, None)
    assert effects_of(repo / "flake.nix", checkout) == [
        "herculesCI.onPush.default.outputs.effects.x"
    ]


def test_a_nixpkgs_flake_input_without_its_source_is_the_modelled_nixpkgs(
    tmp_path: Path,
) -> None:
    write_lock(tmp_path, {"nixpkgs": github("NixOS", "nixpkgs")})
    (tmp_path / "flake.nix").write_text(
        """{
          outputs = { self, nixpkgs }:
            let
              imported = import nixpkgs { system = "aarch64-linux"; };
              legacy = nixpkgs.legacyPackages.x86_64-linux;
            in {
              effects = { ... }: {
                x = derivation {
                  name = legacy.lib.concatStringsSep "-" [ imported.system legacy.system ];
                  system = "x86_64-linux"; builder = "/bin/sh"; isEffect = true;
                };
              };
              checks = imported.hello;
            };
        }"""
    )
    m = machine()
    project = load_project(m, str(tmp_path / "flake.nix"), known())
    ((path, value),) = walk(m, project.root, [], True)
    assert path == "herculesCI.onPush.default.outputs.effects.x"
    assert force(value.items["name"]) == "aarch64-linux-x86_64-linux"
    # Its packages are unknowns named by their path; nothing else is invented.
    assert force(project.root.items["checks"]).provenance == "pkgs.hello"
    nixpkgs = force(force(project.root.items["inputs"]).items["nixpkgs"])
    assert type(nixpkgs) is Attrs and "nope" not in nixpkgs.items  # a set, as Nix's
    assert {"lib", "legacyPackages", "outPath", "rev", "narHash", "_type"} <= set(nixpkgs.items)
    [missing] = m.sources.missing
    assert missing.what == "flake input 'nixpkgs'" and "modelled nixpkgs" in (missing.instead or "")


# --- known gaps (strict xfail: they must start passing when ci-eval does them) -------------


def test_check_of_a_flake_in_git_sees_only_tracked_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .git_repos import clean_env, git, new_repo

    env = clean_env(tmp_path)
    repo = tmp_path / "repo"
    new_repo(repo, env)
    (repo / "flake.nix").write_text(
        "{ outputs = { self }: { effects = { ... }: { x = import ./extra.nix; }; }; }\n"
    )
    (repo / "extra.nix").write_text("{ isEffect = true; }\n")
    git(repo, env, "add", "flake.nix")
    # check starts no process: it reads git's index itself.
    checkout = checkout_without_git(str(repo), "main")
    assert checkout.tracked == frozenset({"flake.nix"})
    with pytest.raises(E.NotFound, match="not tracked by git"):
        effects_of(repo / "flake.nix", checkout)


def test_self_last_modified_is_the_commit_time(tmp_path: Path) -> None:
    from .git_repos import clean_env, git, new_repo

    env = clean_env(tmp_path)
    repo = tmp_path / "repo"
    new_repo(repo, env)
    (repo / "flake.nix").write_text(
        "{ outputs = { self }: { t = self.lastModified; n = self.revCount; h = self.narHash; }; }\n"
    )
    git(repo, env, "add", "flake.nix")
    env = {**env, "GIT_COMMITTER_DATE": "2024-05-06T07:08:09Z"}
    git(repo, env, "commit", "-q", "-m", "x")
    checkout = checkout_for(str(repo), "main", None, None)
    root = load_project(machine(), str(repo / "flake.nix"), checkout).root
    assert force(root.items["t"]) == 1714979289
    assert force(root.items["lastModifiedDate"]) == "20240506070809"
    assert force(root.items["n"]) == 1
    # The NAR hash of the tracked tree is not computed: unknown, said so.
    assert "only known once Nix has copied it" in force(root.items["h"]).provenance


def test_a_flake_lock_that_is_missing_or_broken_is_e400(tmp_path: Path) -> None:
    path = write_flake(tmp_path, "{ }")
    (tmp_path / "flake.lock").unlink()
    with pytest.raises(E.EvalError, match=r"has inputs but no flake\.lock") as info:
        effects_of(path)
    assert info.value.code == "E400" and "nix flake lock" in (info.value.hint or "")
    (tmp_path / "flake.lock").write_text('{ "version": 7, "nodes": {')
    with pytest.raises(E.EvalError, match="is not a usable lock file: not JSON") as info:
        effects_of(path)
    assert info.value.code == "E400"
    # A flake without inputs needs no lock, as in Nix.
    (tmp_path / "flake.lock").unlink()
    (tmp_path / "flake.nix").write_text("{ outputs = { self }: { }; }\n")
    assert effects_of(tmp_path / "flake.nix") == []


def test_a_legacy_file_with_herculesci_is_walked_by_its_jobs(tmp_path: Path) -> None:
    # Called with the agent's arguments exactly as a flake's herculesCI is: all of them.
    path = write_ci(
        tmp_path,
        """{
          plain = e "plain";
          herculesCI = { branch, ... }: {
            onPush.default.outputs.effects.x = e branch;
          };
        }""",
    )
    assert effects_of(path) == ["herculesCI.onPush.default.outputs.effects.x"]
    path = write_ci(tmp_path, "{ herculesCI = { branch }: { }; }")
    with pytest.raises(E.BadArgument, match="called with unexpected argument"):
        effects_of(path)


def test_ci_eval_s_own_models_are_seen_in_a_repository_that_holds_them() -> None:
    # A venv inside the repository (`python3 -m venv .venv`, as README says) puts ci-eval's
    # own Nix models (nixeval/nixpkgs/*.nix) under the flake's root, untracked: they are
    # ci-eval's, not the flake's source, and stay readable; the rest stays git's view.
    from nixeval.eval.access import MODEL_DIR, PathAccess

    access = PathAccess(None)
    repository = os.path.dirname(os.path.dirname(MODEL_DIR))
    access.only_tracked(repository, frozenset({"flake.nix"}))
    assert access.is_tracked(os.path.join(MODEL_DIR, "pkgs.nix"))
    assert not access.is_tracked(os.path.join(repository, "nixeval", "values.py"))
    assert access.is_tracked(os.path.join(repository, "flake.nix"))
