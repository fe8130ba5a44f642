"""``python -m nixeval.syntax.regenerate``: rewrite the generated modules of the syntax
package: _lalr_tables.py from grammar/nix.lark, _nix_error_tables.py from the model of
Nix's parser in nix_syntax_errors.py, and _node_methods.py from the node classes."""

from __future__ import annotations

import sys

from . import nix_syntax_errors, nodes
from .grammar import TABLES_PATH, analyse, grammar_text, render


def main() -> int:
    TABLES_PATH.write_text(render(analyse(grammar_text())), encoding="utf-8")
    print(f"wrote {TABLES_PATH}", file=sys.stderr)
    nix_syntax_errors.TABLES_PATH.write_text(nix_syntax_errors.render_tables(), encoding="utf-8")
    print(f"wrote {nix_syntax_errors.TABLES_PATH}", file=sys.stderr)
    print(f"wrote {nodes.write_methods_module()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
