"""A wheel built from the checkout carries the grammar and the schemas: `pip install .`
into a fresh virtual environment outside the checkout, then `ci-eval --parse` and the
main job work."""

from __future__ import annotations

import json
import shutil
import subprocess
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_pip_install_into_a_fresh_venv(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]

    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "ci.nix").write_text(
        '{ src ? { ref = null; } }: { x = src.ref == "refs/heads/main"; }\n'
    )
    parsed = subprocess.run(
        [str(env_dir / "bin" / "ci-eval"), "--parse", "ci.nix"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert parsed.returncode == 0, parsed.stderr
    assert parsed.stdout == '{ src ? { ref = null; } }: { x = src.ref == "refs/heads/main"; }\n'

    # The installed package has its data, and its parse tables match its own grammar,
    # so parsing never needs Lark's analysis (nor imports lark).
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import sys, nixeval, pathlib\n"
            "from nixeval.syntax import grammar, parse\n"
            "data = pathlib.Path(nixeval.__file__).parent / '_data'\n"
            "print(sorted(p.name for p in (data / 'grammar').iterdir()))\n"
            "print(sorted(p.name for p in (data / 'schemas').iterdir()))\n"
            "print((data.parent / 'nixpkgs' / 'lib.nix').is_file())\n"
            "parse('1')\n"
            "print('lark' in sys.modules)\n",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    grammar_files, schema_files, has_lib, lark_loaded = probe.stdout.splitlines()
    assert has_lib == "True"  # the offline nixpkgs lib ships in the wheel
    assert grammar_files == "['nix.lark']"
    expected_schemas = sorted(p.name for p in (ROOT / "schemas").glob("*.json"))
    assert schema_files == str(expected_schemas) and expected_schemas
    assert lark_loaded == "False"

    # The main job works from the installed package alone (effects model, schemas).
    project = tmp_path / "neat-network"
    shutil.copytree(ROOT / "fixtures" / "neat-network", project)
    described = subprocess.run(
        [str(env_dir / "bin" / "ci-eval"), "-A", "neat-network", "--as-branch", "production"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert described.returncode == 0, described.stderr
    (effect,) = json.loads(described.stdout)["effects"]
    assert (effect["function"], effect["mode"]) == ("runNixOps", "run")
