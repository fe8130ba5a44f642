"""``python -m nixeval.syntax.regenerate``: rewrite _lalr_tables.py from grammar/nix.lark."""

from __future__ import annotations

import sys

from .grammar import TABLES_PATH, analyse, grammar_text, render


def main() -> int:
    TABLES_PATH.write_text(render(analyse(grammar_text())), encoding="utf-8")
    print(f"wrote {TABLES_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
