"""The local state store: one run at a time, atomic write-back, never an empty or half file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import nixeval
from nixeval.execution.state import StateError, StateLocked, StateStore

NAME = "nixops-prod.json"
HOSTS = "nixops-prod.known_hosts"


def python_child(code: str, *args: str) -> subprocess.Popen[str]:
    """Run ``code`` in another Python process importing this very checkout of nixeval
    (whatever the current directory and however the package is installed)."""
    env = dict(os.environ)
    root = str(Path(nixeval.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def hold_lock_in_child(directory: Path) -> subprocess.Popen[str]:
    """A second process (as a second ci-eval run would be) holding the lock until killed."""
    code = """
        import sys, time
        from nixeval.execution.state import StateStore
        with StateStore(sys.argv[1]).lock():
            print("locked", flush=True)
            time.sleep(60)
        """
    child = python_child(code, str(directory))
    assert child.stdout is not None
    assert child.stdout.readline() == "locked\n"
    return child


def test_stage_commit_round_trip(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state")
    work = tmp_path / "work"
    with store.lock():
        store.stage([NAME, HOSTS], work)
        assert not (work / NAME).exists()  # never stored: absent, as on Hercules CI
        (work / NAME).write_text('{"uuid": {"name": "prod"}}')
        (work / HOSTS).write_text("host ssh-ed25519 AAAA\n")
        assert store.commit(work, [NAME, HOSTS]) == [NAME, HOSTS]
    assert store.path(NAME).read_text() == '{"uuid": {"name": "prod"}}'
    assert store.path(HOSTS).read_text() == "host ssh-ed25519 AAAA\n"
    assert store.path(NAME).stat().st_mode & 0o777 == 0o600
    assert store.directory.stat().st_mode & 0o777 == 0o700
    assert not (store.directory / f"{NAME}.previous").exists()

    again = tmp_path / "again"
    with store.lock():
        store.stage([NAME, HOSTS], again)
    assert (again / NAME).read_text() == '{"uuid": {"name": "prod"}}'
    assert (again / HOSTS).read_text() == "host ssh-ed25519 AAAA\n"
    assert (again / NAME).stat().st_mode & 0o777 == 0o600


def test_other_state_files_may_be_empty(tmp_path: Path) -> None:
    """A known_hosts of a network without machines yet is empty, and is state all the same."""
    store = StateStore(tmp_path / "state")
    work = tmp_path / "work"
    work.mkdir()
    (work / HOSTS).write_text("")
    with store.lock():
        assert store.commit(work, [HOSTS], refuse_empty=[NAME]) == [HOSTS]
    assert store.path(HOSTS).read_text() == ""


def test_directory_and_parents_created_private(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "a" / "b" / "state")
    with store.lock():
        pass
    for directory in (tmp_path / "a", tmp_path / "a" / "b", store.directory):
        assert directory.stat().st_mode & 0o777 == 0o700
    assert (store.directory / ".lock").is_file()  # the lock file is kept


def test_previous_version_kept(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state")
    work = tmp_path / "work"
    work.mkdir()
    with store.lock():
        (work / NAME).write_text('{"v": 1}')
        store.commit(work, [NAME])
        (work / NAME).write_text('{"v": 2}')
        assert store.commit(work, [NAME]) == [NAME]
        assert store.path(NAME).read_text() == '{"v": 2}'
        assert (store.directory / f"{NAME}.previous").read_text() == '{"v": 1}'
        (work / NAME).write_text('{"v": 3}')
        store.commit(work, [NAME])
    assert store.path(NAME).read_text() == '{"v": 3}'
    assert (store.directory / f"{NAME}.previous").read_text() == '{"v": 2}'
    assert sorted(p.name for p in store.directory.iterdir()) == [
        ".lock",
        NAME,
        f"{NAME}.previous",
    ]


def test_unchanged_file_not_rewritten(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state")
    work = tmp_path / "work"
    work.mkdir()
    with store.lock():
        (work / NAME).write_text('{"v": 1}')
        store.commit(work, [NAME])
        (work / NAME).write_text('{"v": 2}')
        store.commit(work, [NAME])
        before = store.path(NAME).stat()
        assert store.commit(work, [NAME]) == []
    after = store.path(NAME).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    # The previous version is still the real previous one, not a copy of the current.
    assert (store.directory / f"{NAME}.previous").read_text() == '{"v": 1}'


def test_name_not_staged_is_left_alone(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state")
    work = tmp_path / "work"
    work.mkdir()
    with store.lock():
        (work / HOSTS).write_text("hosts\n")
        store.commit(work, [HOSTS])
        (work / HOSTS).unlink()
        assert store.commit(work, [NAME, HOSTS]) == []
    assert store.path(HOSTS).read_text() == "hosts\n"
    assert not store.path(NAME).exists()


def test_empty_refused_and_previous_kept(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state")
    work = tmp_path / "work"
    work.mkdir()
    with store.lock():
        (work / NAME).write_text('{"v": 1}')
        store.commit(work, [NAME])
        (work / NAME).write_text("")  # a failed `nixops export`
        (work / HOSTS).write_text("hosts\n")
        with pytest.raises(StateError) as caught:
            store.commit(work, [NAME, HOSTS], refuse_empty=[NAME])
    assert str(caught.value) == (
        f"state file {NAME} is empty: not written back (the previous version is kept)"
    )
    assert caught.value.written == [HOSTS]  # the others were written
    assert store.path(HOSTS).read_text() == "hosts\n"
    assert store.path(NAME).read_text() == '{"v": 1}'
    assert not (store.directory / f"{NAME}.previous").exists()


@pytest.mark.parametrize(
    "name", ["", ".", "..", "../escape", "a/b", "/etc/passwd", ".lock", ".hidden", "nul\0l"]
)
def test_names_validated(tmp_path: Path, name: str) -> None:
    store = StateStore(tmp_path / "state")
    work = tmp_path / "work"
    work.mkdir()
    (work / "ok").write_text("ok")
    with pytest.raises(StateError, match="invalid state file name"):
        store.path(name)
    with store.lock():
        with pytest.raises(StateError, match="invalid state file name"):
            store.stage(["ok", name], work)
        with pytest.raises(StateError, match="invalid state file name"):
            store.commit(work, ["ok", name])
        # Checked before anything is done: "ok" was not written either.
        assert not store.path("ok").exists()


def test_lock_refuses_a_second_holder_and_dies_with_it(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state")
    child = hold_lock_in_child(store.directory)
    try:
        with pytest.raises(StateLocked) as caught, store.lock():
            pass
        lock_file = store.directory / ".lock"
        assert str(caught.value) == (
            f"the state directory {store.directory} is in use by another ci-eval run "
            f"(lock file {lock_file})"
        )
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert child.stdout is not None
        child.stdout.close()
    # Killed: no stale lock.
    with store.lock():
        assert (store.directory / ".lock").is_file()


def test_lock_refuses_a_second_holder_in_the_same_process(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state")
    with store.lock(), pytest.raises(StateLocked), StateStore(store.directory).lock():
        pass
    with store.lock():  # released on exit
        pass


def test_stale_tmp_removed_by_next_lock_holder(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state")
    with store.lock():
        pass
    stale = store.directory / f".{NAME}.tmp-99999"
    stale_previous = store.directory / f".{NAME}.previous.tmp-99999"
    stale.write_text('{"half')
    stale_previous.write_text("{}")
    store.path(NAME).write_text("{}")
    with store.lock():
        assert not stale.exists()
        assert not stale_previous.exists()
        assert store.path(NAME).read_text() == "{}"


def test_sigkill_mid_write_leaves_a_complete_version(tmp_path: Path) -> None:
    """A run killed while writing a state file back leaves either the old or the new complete
    file, never a truncated one."""
    store = StateStore(tmp_path / "state")
    work = tmp_path / "work"
    work.mkdir()
    old = json.dumps({"uuid-1": {"name": "prod", "resources": {"m": {"type": "machine"}}}})
    store.directory.mkdir(mode=0o700)
    store.path(NAME).write_text(old)
    # 64 MiB of JSON: long enough to write and fsync that the kill lands during the write.
    new = '{"uuid-1": {"blob": "' + "x" * (64 << 20) + '"}}'
    (work / NAME).write_text(new)

    code = """
        import sys
        from pathlib import Path
        from nixeval.execution.state import StateStore
        store = StateStore(sys.argv[1])
        with store.lock():
            print("go", flush=True)
            store.commit(Path(sys.argv[2]), [sys.argv[3]])
        print("done", flush=True)
        """
    child = python_child(code, str(store.directory), str(work), NAME)
    assert child.stdout is not None
    assert child.stdout.readline() == "go\n"
    tmp_seen = False
    deadline = time.monotonic() + 2.0
    try:
        while time.monotonic() < deadline and child.poll() is None:
            if any(n.startswith(f".{NAME}.tmp-") for n in os.listdir(store.directory)):
                tmp_seen = True
                break
            time.sleep(0.0005)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()

    assert tmp_seen, "the child finished before its temporary file was seen"
    content = store.path(NAME).read_text()
    assert content in (old, new)
    assert isinstance(json.loads(content), dict)
    if content == old:
        assert not (store.directory / f"{NAME}.previous").exists() or (
            (store.directory / f"{NAME}.previous").read_text() == old
        )
    # The next run cleans up after the killed one and finds the state intact.
    with store.lock():
        leftovers = [n for n in os.listdir(store.directory) if ".tmp-" in n]
        assert leftovers == []
        assert store.path(NAME).read_text() == content


def test_lock_inherited_by_a_child_outlives_the_holder(tmp_path: Path) -> None:
    """The holder passes the lock's descriptor to a child (as the local backend passes it to
    the effect) and is SIGKILLed: the directory stays locked until the child ends."""
    store = StateStore(tmp_path / "state")
    code = """
        import os, subprocess, sys
        from nixeval.execution.state import StateStore
        with StateStore(sys.argv[1]).lock() as fd:
            child = subprocess.Popen(
                [sys.executable, "-c", "import sys; sys.stdin.read()"],
                stdin=subprocess.PIPE, pass_fds=(fd,), start_new_session=True,
            )
            print(child.pid, flush=True)
            os.kill(os.getpid(), 9)
        """
    holder = python_child(code, str(store.directory))
    assert holder.stdout is not None
    grandchild = int(holder.stdout.readline())
    holder.wait()
    holder.stdout.close()
    assert holder.returncode == -signal.SIGKILL
    try:
        with pytest.raises(StateLocked), store.lock():
            pass
    finally:
        os.kill(grandchild, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while True:
        try:
            with store.lock() as fd:
                assert isinstance(fd, int)
            break
        except StateLocked:
            assert time.monotonic() < deadline, "the lock outlived the child"
            time.sleep(0.02)


@pytest.mark.parametrize("where", ["file", "under a file"])
def test_state_directory_that_is_not_a_directory(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    directory = blocker if where == "file" else blocker / "state"
    with pytest.raises(StateError) as caught, StateStore(directory).lock():
        pass
    assert str(directory) in str(caught.value)
    assert blocker.read_text() == "x"


def test_created_ci_eval_directory_ignores_itself(tmp_path: Path) -> None:
    with StateStore(tmp_path / ".ci-eval" / "state").lock():
        pass
    assert (tmp_path / ".ci-eval" / ".gitignore").read_text() == "*\n"
    # One the user made is theirs: nothing is added to it.
    mine = tmp_path / "mine" / ".ci-eval"
    mine.mkdir(parents=True)
    with StateStore(mine / "state").lock():
        pass
    assert not (mine / ".gitignore").exists()
