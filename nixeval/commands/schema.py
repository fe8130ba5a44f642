"""``ci-eval schema [NAME]``: the JSON Schemas ci-eval validates against, as shipped."""

from __future__ import annotations

from pathlib import Path
from typing import IO

SCHEMAS = Path(__file__).resolve().parent.parent / "_data" / "schemas"
SUFFIX = ".schema.json"


def schema_names() -> list[str]:
    return sorted(p.name[: -len(SUFFIX)] for p in SCHEMAS.glob(f"*{SUFFIX}"))


def run_schema(name: str | None, stdout: IO[str], stderr: IO[str]) -> int:
    """Without a name, list the schemas; with one, print it. 2 for an unknown name."""
    names = schema_names()
    if name is None:
        for n in names:
            stdout.write(f"{n}\n")
        return 0
    if name not in names:
        from ..spelling import closest

        suggestion = closest(name, names)
        hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
        stderr.write(
            f"ci-eval: error: no schema named '{name}'{hint}; there are: {', '.join(names)}\n"
        )
        return 2
    stdout.write((SCHEMAS / f"{name}{SUFFIX}").read_text(encoding="utf-8"))
    return 0
