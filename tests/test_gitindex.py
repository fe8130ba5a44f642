"""git's index read without git (`nixeval.gitindex`), against ``git ls-files`` on real
repositories: index versions 2, 3 (intent-to-add entries have extended flags) and 4
(prefix-compressed paths), long and non-ASCII names, a sha256 repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from nixeval.checkout import find_repository
from nixeval.gitindex import GitIndexError, tracked_paths

from .git_repos import clean_env, git, new_repo

NAMES = [
    "flake.nix",
    "a/b/c.nix",
    "a/b/cd.nix",
    "a/bc.nix",
    "naïve/ünïcode.nix",
    "with space.nix",
    "x" * 200 + "/" + "y" * 200 + ".nix",
]


def _repo(tmp_path: Path, *init: str) -> tuple[Path, dict[str, str]]:
    env = clean_env(tmp_path)
    repo = tmp_path / "repo"
    if init:
        repo.mkdir()
        git(repo, env, "init", "-q", *init)
    else:
        new_repo(repo, env)
    for name in NAMES:
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    (repo / "untracked.nix").write_text("")
    git(repo, env, "add", *NAMES)
    return repo, env


def _ls_files(repo: Path, env: dict[str, str]) -> frozenset[str]:
    return frozenset(p for p in git(repo, env, "ls-files", "-z").split("\0") if p)


@pytest.mark.parametrize("version", ["2", "3", "4"])
def test_every_index_version(tmp_path: Path, version: str) -> None:
    repo, env = _repo(tmp_path)
    if version != "2":
        # Intent to add: an entry with extended flags, which needs version 3 at least.
        git(repo, env, "add", "-N", "untracked.nix")
    git(repo, env, "update-index", "--index-version", version)
    data = (repo / ".git" / "index").read_bytes()
    assert int.from_bytes(data[4:8], "big") == int(version)
    assert tracked_paths(data) == _ls_files(repo, env)
    assert ("untracked.nix" in _ls_files(repo, env)) == (version != "2")


def test_a_sha256_repository(tmp_path: Path) -> None:
    repo, env = _repo(tmp_path, "--object-format=sha256")
    repository = find_repository(str(repo))
    assert repository is not None
    assert repository.tracked_files() == _ls_files(repo, env) == frozenset(NAMES)


def test_what_is_not_an_index(tmp_path: Path) -> None:
    with pytest.raises(GitIndexError, match="not a git index"):
        tracked_paths(b"nope")
    repo, _ = _repo(tmp_path)
    data = (repo / ".git" / "index").read_bytes()
    with pytest.raises(GitIndexError, match="truncated"):
        tracked_paths(data[:100])
    # A repository whose index cannot be read: the tracked files are not known.
    (repo / ".git" / "index").write_bytes(b"DIRC\0\0\0\x09" + bytes(8))
    repository = find_repository(str(repo))
    assert repository is not None and repository.tracked_files() is None
