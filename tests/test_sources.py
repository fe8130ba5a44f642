"""Sources: pinned inputs found as verified trees where a user's machine has them.

The reference trees of ``../shared/data/inputs/`` are laid out as a machine has them: in
a Nix store directory under the path computed from the NAR hash (``NIX_STORE_DIR``), in
ci-eval's cache, or named by an override. Real ``nix-store --print-fixed-path`` is the
oracle for the store paths where it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nixeval.sources import (
    CacheError,
    LockedInput,
    LockError,
    add_to_cache,
    cache_dir,
    resolve,
    store_dir,
)
from tests.references import INPUTS, PINS, tree


def locked(name: str) -> LockedInput:
    owner, repo, _, nar_hash, _ = PINS[name]
    return LockedInput.from_lock_node(
        {"type": "github", "owner": owner, "repo": repo, "rev": "0" * 40, "narHash": nar_hash}
    )


@pytest.mark.parametrize("name", PINS)
@pytest.mark.parametrize("store", ["/nix/store", "/tmp/another/store"])
def test_store_path_is_nixs(name: str, store: str) -> None:
    if shutil.which("nix-store") is None:
        pytest.skip("nix-store (Nix 2.8, Debian's nix-bin) is the oracle and is not on PATH")
    pin = locked(name)
    nix = subprocess.run(
        ["nix-store", "--print-fixed-path", "--recursive", "sha256", pin.sri, "source"],
        env={"NIX_STORE_DIR": store, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert pin.store_path(store) == nix.stdout.strip()


def test_found_in_the_store(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    pin = locked("flake-parts")
    shutil.copytree(tree("flake-parts"), pin.store_path(store), symlinks=True)
    found = resolve(pin, store=store, cache=tmp_path / "cache")
    assert found is not None and found.origin == "store"
    assert found.path == Path(pin.store_path(store))
    assert (found.path / "flake.nix").is_file()
    # Another pin is not there, whatever else the store holds.
    assert resolve(locked("systems"), store=store, cache=tmp_path / "cache") is None


def test_found_in_the_cache_once_verified(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    pin = locked("systems")
    assert resolve(pin, store=str(tmp_path / "store"), cache=cache) is None
    entry = add_to_cache(tree("systems"), pin, cache)
    found = resolve(pin, store=str(tmp_path / "store"), cache=cache)
    assert found is not None and (found.origin, found.path) == ("cache", entry)
    assert sorted(p.name for p in entry.iterdir()) == sorted(
        p.name for p in tree("systems").iterdir()
    )
    assert add_to_cache(tree("systems"), pin, cache) == entry  # kept, not redone
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]  # nothing half-written


def test_a_tampered_tree_is_refused(tmp_path: Path) -> None:
    tampered = tmp_path / "tampered"
    shutil.copytree(tree("systems"), tampered, symlinks=True)
    (tampered / "default.nix").write_text('[ "x86_64-linux" "evil-system" ]\n')
    cache = tmp_path / "cache"
    with pytest.raises(CacheError, match="is not the pinned source: its NAR hash is sha256:"):
        add_to_cache(tampered, locked("systems"), cache)
    assert list((cache / "sources").iterdir()) == []  # neither the entry nor its staging
    assert resolve(locked("systems"), store=str(tmp_path / "store"), cache=cache) is None


def test_an_override_comes_first(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    pin = locked("flake-parts")
    shutil.copytree(tree("flake-parts"), pin.store_path(store), symlinks=True)
    mine = tmp_path / "my-flake-parts"
    mine.mkdir()
    found = resolve(pin, override=mine, store=store, cache=tmp_path / "cache")
    assert found is not None and (found.origin, found.path) == ("override", mine)


def test_where_the_store_and_the_cache_are(tmp_path: Path) -> None:
    assert store_dir({}) == "/nix/store"
    assert store_dir({"NIX_STORE_DIR": "/x/store"}) == "/x/store"
    assert cache_dir({"CI_EVAL_CACHE_DIR": "/c"}) == Path("/c")
    assert cache_dir({"XDG_CACHE_HOME": "/xdg"}) == Path("/xdg/ci-eval")
    assert cache_dir({}).parts[-2:] == (".cache", "ci-eval")


def test_an_evaluation_s_sources_are_the_store_and_cache_of_when_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Sources` reads ``NIX_STORE_DIR`` and ``CI_EVAL_CACHE_DIR`` when it is made (not
    when its module is imported), unless given them; each has lists of its own."""
    from nixeval.sources.session import Missing, Sources

    monkeypatch.setenv("NIX_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("CI_EVAL_CACHE_DIR", str(tmp_path / "cache"))
    one, other = Sources(), Sources(store="/s", cache=Path("/c"))
    assert (one.store, one.cache) == (str(tmp_path / "store"), tmp_path / "cache")
    assert (other.store, other.cache) == ("/s", Path("/c"))
    assert (one.overrides, one.network, one.offline, one.progress) == ({}, False, False, None)
    one.missing.append(Missing("flake input 'x'", "github:o/x", "why"))
    one.overrides["x"] = "/x"
    assert (other.missing, other.overrides, other.found, other.lib_trees) == ([], {}, [], [])


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ({"type": "github", "owner": "o", "repo": "r"}, "has no narHash"),
        ({"type": "indirect", "id": "nixpkgs"}, "of type 'indirect' is not a source tree"),
        ({"type": "github", "narHash": "sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA="}, "not a sha256"),
        ({"type": "github", "narHash": "sha256-short"}, "narHash 'sha256-short'"),
    ],
)
def test_unusable_lock_nodes(node: dict[str, str], message: str) -> None:
    with pytest.raises(LockError, match=message):
        LockedInput.from_lock_node(node)


def test_the_pins_are_the_readme_s() -> None:
    # tests/references.py's table is the one of the reference sources' README.
    readme = INPUTS / "README.md"
    if not readme.is_file():
        pytest.skip(f"{readme} is not here (the reference sources of ../shared)")
    rows = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            cells = [c.strip().strip("`") for c in line.split("|")]
            rows[cells[1].rstrip("/")] = (*cells[2].split("/"), cells[3], cells[4], cells[5])
    assert rows == PINS
