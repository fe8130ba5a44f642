"""Only nixeval/syntax/ imports lark; the command line imports nothing it does not use."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "nixeval"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_only_syntax_imports_lark() -> None:
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if "lark" in _imports(p) and PACKAGE / "syntax" not in p.parents
    ]
    assert offenders == []


def test_parse_does_not_import_lark_jsonschema_or_the_evaluator() -> None:
    code = (
        "import sys\n"
        "from nixeval.cli import main\n"
        "assert main(['--parse', '-E', '1 + 2']) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lark', 'jsonschema')\n"
        "             or m.startswith(('nixeval.eval', 'nixeval.builtins.regex'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]"), out.stdout
