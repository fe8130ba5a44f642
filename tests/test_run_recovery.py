"""``ci-eval run --backend local`` killed with SIGKILL: no deploy is cut, no state is lost.

The effect of a killed run keeps running (cutting a deploy halfway is worse than finishing
it), keeps the state directory locked while it runs, and leaves what its putStateFile wrote
in its build directory; the next run commits that before anything else and removes the
build directory with its private secrets.json. Real runs of ``python -m nixeval`` against
the stand-in ``nixops`` (tests/standins), through the wrappers of tests/test_run_local.py,
which also record how each ``nixops deploy`` ended (``record_exit``).
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import time
from pathlib import Path

import pytest

from tests.test_run_local import DEPLOY, NIX_PATH, UUID, Rig, export_of, seeded_nixops, show

#: The stand-in's deploy pauses this long: long enough for kills to land in it.
PAUSE_SECONDS = "0.3"
KILLS = 12
SEED = 20240612


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def nixops_project(rig: Rig) -> list[str | Path]:
    """A runNixOps project reading an AWS secret, with a stored state of 5 deploys; the
    arguments of a local run of it."""
    project = rig.project("nixops-secrets", remote="neat-org/neat-repo")
    secrets_file = rig.conf / "secrets.json"
    shutil.copyfile(project / "secrets.json", secrets_file)
    seeded_nixops(rig)
    return rig.local_args(
        project / "ci.nix",
        "neat-network",
        "--secrets",
        secrets_file,
        "--env",
        f"NIX_PATH={NIX_PATH}",
    )


def stored_count(rig: Rig) -> int:
    return int(json.loads((rig.state / "nixops-foo.json").read_text())[UUID]["deployCount"])


def effect_processes(rig: Rig) -> list[int]:
    """The live processes of any effect this test's ci-eval started (the effect's
    environment names its build directory, in the test's TMPDIR)."""
    prefix = f"CI_EVAL_BUILD_DIR={rig.tmp}{os.sep}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # gone meanwhile
        if any(item.startswith(prefix) for item in environ.split(b"\0")):
            found.append(int(entry.name))
    return found


def state_locked(rig: Rig) -> bool:
    """Whether a process holds the state directory's lock: a live effect, or a child of
    the killed ci-eval forked to run one and not yet exec'd (whose environment does not
    name the build directory yet, but which holds the lock it inherited)."""
    try:
        fd = os.open(rig.state / ".lock", os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases it, if taken
    return False


def wait_for_effects(rig: Rig, timeout: float = 30) -> None:
    """Until the effect a killed ci-eval left running has ended."""
    deadline = time.monotonic() + timeout
    while effect_processes(rig) or state_locked(rig):
        if time.monotonic() > deadline:
            pytest.fail(f"the effect still runs after {timeout} s: {effect_processes(rig)}")
        time.sleep(0.02)


def assert_every_deploy_kept(rig: Rig, when: str) -> None:
    """Every deploy that started finished, and the stored state counts each of them."""
    started = [c for c in rig.calls() if c["argv"][:1] == ["deploy"]]
    ended = rig.exits()
    assert len(ended) == len(started), f"{when}: a deploy did not finish: {ended}"
    assert all(e["status"] == 0 for e in ended), f"{when}: a deploy was cut: {ended}"
    assert stored_count(rig) == 5 + len(ended), (
        f"{when}: {len(ended)} deploys ran after the 5 stored, the state counts "
        f"{stored_count(rig)}\n{rig.output()}"
    )


def test_random_kills_lose_no_deploy(rig: Rig) -> None:
    args = nixops_project(rig)
    rig.configure(
        env={"STANDIN_PAUSE": "nixops deploy", "STANDIN_PAUSE_SECONDS": PAUSE_SECONDS},
        record_exit=["deploy"],
    )
    began = time.monotonic()
    done = rig.run(*args)
    span = time.monotonic() - began  # kill points cover a whole run
    assert done.returncode == 0, show(done)
    assert_every_deploy_kept(rig, "a run without a kill")
    rng = random.Random(SEED)
    orphan_deploys = 0  # deploys of the killed runs
    for kill in range(1, KILLS + 1):
        delay = rng.uniform(0.0, span)
        before = len(rig.exits())
        proc = rig.start(*args)
        time.sleep(delay)
        proc.kill()  # SIGKILL, to ci-eval alone
        proc.wait(timeout=30)
        when = f"kill {kill} at {delay:.2f} s of {span:.2f} s"
        wait_for_effects(rig)
        orphan_deploys += len(rig.exits()) - before
        # `run` checks that the run leaves nothing in TMPDIR: no build directory, no
        # copy of the secrets, whatever the kill left.
        done = rig.run(*args)
        assert done.returncode == 0, f"{when}: the next run fails\n{show(done)}"
        assert_every_deploy_kept(rig, when)
    assert effect_processes(rig) == [], "a process of an effect is left"
    assert orphan_deploys, "no killed run deployed: the kills never reached a deploy"


def kill_at_the_gate(rig: Rig, args: list[str | Path]) -> Path:
    """A run killed while its effect waits before ``nixops deploy``: its build directory."""
    rig.marker.unlink(missing_ok=True)
    rig.release.unlink(missing_ok=True)
    proc = rig.start(*args)
    rig.wait_for_marker(proc)
    proc.kill()
    proc.wait(timeout=30)
    (build,) = rig.tmp.iterdir()
    return build


def test_killed_run_keeps_the_lock_until_its_effect_ends_then_is_recovered(rig: Rig) -> None:
    args = nixops_project(rig)
    rig.configure(gate="deploy", record_exit=["deploy"])
    build = kill_at_the_gate(rig, args)
    try:
        assert (build / "secrets.json").is_file(), "the effect still has its secrets"
        assert effect_processes(rig), "the effect outlives the killed ci-eval"
        rig.configure(record_exit=["deploy"])
        before = len(rig.calls())
        refused = rig.run(*args, clean=False)
        assert refused.returncode == 1, show(refused)
        assert "error[E303]" in refused.stderr, show(refused)
        assert "still running" in refused.stderr, f"the message says why\n{show(refused)}"
        assert len(rig.calls()) == before, "the refused run ran nothing"
    finally:
        rig.release.touch()
    wait_for_effects(rig)
    assert rig.exits() == [{"argv": DEPLOY, "status": 0}], "it deployed"
    assert stored_count(rig) == 5, "nothing is written back until the next run"
    put = (build / "state" / "nixops-foo.json").read_text()
    assert json.loads(put)[UUID]["deployCount"] == 6, "what the effect's putStateFile put"

    earlier = len(rig.calls())
    done = rig.run(*args)
    assert done.returncode == 0, show(done)
    recovering = f"recovering the state left in {build} by a run that was killed"
    assert recovering in done.stderr, show(done)
    assert f"removed {build}, left by a run that was killed" in done.stderr, show(done)
    import_call = rig.calls()[earlier]
    assert import_call["argv"] == ["import", "--include-keys"], import_call["argv"]
    assert import_call["stdin"] == put, "the next run deploys from the recovered state"
    assert (rig.state / "nixops-foo.json.previous").read_text() == put
    assert_every_deploy_kept(rig, "after the recovery")


def test_kill_while_recovering_is_safe(rig: Rig) -> None:
    args = nixops_project(rig)
    rng = random.Random(SEED)
    # A big export makes the write-back take a while, for the kill to land in it.
    big = {"STANDIN_EXPORT_BYTES": str(4 << 20)}
    for attempt in range(1, 4):
        rig.configure(gate="deploy", record_exit=["deploy"], env=big)
        build = kill_at_the_gate(rig, args)
        assert (build / "secrets.json").is_file()
        rig.configure(record_exit=["deploy"], env=big)
        rig.release.touch()
        wait_for_effects(rig)
        before = (rig.state / "nixops-foo.json").read_bytes()
        put = (build / "state" / "nixops-foo.json").read_bytes()
        deploys = len(rig.exits())

        proc = rig.start(*args)
        deadline = time.monotonic() + 30
        while "recovering the state" not in rig.output():
            assert proc.poll() is None, f"attempt {attempt}: no recovery\n{rig.output()}"
            assert time.monotonic() < deadline, f"attempt {attempt}: no recovery in 30 s"
            time.sleep(0.001)
        time.sleep(rng.uniform(0.0, 0.03))
        proc.kill()
        proc.wait(timeout=30)
        # Removed before recovering begins: no kill after that leaves it behind.
        assert not (build / "secrets.json").exists(), f"attempt {attempt}: secrets left"
        wait_for_effects(rig)
        stored = (rig.state / "nixops-foo.json").read_bytes()
        json.loads(stored)  # whole, never half a file
        if len(rig.exits()) == deploys:  # the kill came before a new deploy
            assert stored in (before, put), f"attempt {attempt}: neither old nor recovered"
    rig.configure(record_exit=["deploy"])
    done = rig.run(*args)
    assert done.returncode == 0, show(done)
    assert_every_deploy_kept(rig, "after kills while recovering")
    assert not list(rig.state.glob(".*.tmp-*")), "a temporary file of a killed write is left"
    assert effect_processes(rig) == []


def test_state_recovered_into_the_state_directory_the_killed_run_used(rig: Rig) -> None:
    """A stale build directory of another state directory is recovered into that one,
    not into the state directory of the run that finds it."""
    args = nixops_project(rig)
    rig.configure(gate="deploy", record_exit=["deploy"])
    build = kill_at_the_gate(rig, args)
    rig.configure(record_exit=["deploy"])
    rig.release.touch()
    wait_for_effects(rig)
    put = (build / "state" / "nixops-foo.json").read_text()

    other = rig.root / "other-state"
    other.mkdir()
    (other / "nixops-foo.json").write_text(export_of(UUID, "foo", 40))
    done = rig.run(*[other if a == rig.state else a for a in args])
    assert done.returncode == 0, show(done)
    assert (rig.state / "nixops-foo.json").read_text() == put, "recovered where it belongs"
    count = json.loads((other / "nixops-foo.json").read_text())[UUID]["deployCount"]
    assert count == 41, "the other state directory only got its own deploy"
