"""Generate a large, realistic Nix file for the parse benchmark.

The output is deterministic (seeded ``random``) and is accepted by
``nix-instantiate --parse``: every variable it uses is bound in the file or is one of
Nix's global builtins, attribute names are unique within each set, and nesting stays far
below the depth at which Nix's bison parser runs out of stack.

Usage::

    python3 bench/gen_large.py [OUT] [--size BYTES] [--seed N]

OUT defaults to ``bench/out/large.nix`` (relative to the checkout).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from enum import IntEnum
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "large.nix"
DEFAULT_SIZE = 1_000_000
DEFAULT_SEED = 20240521

# Hard limit on the generator's recursion. Each level adds at most two levels of
# syntactic nesting (a construct plus the parentheses around an operand), and the
# top-level function/let/attrset adds three, so the file nests at most ~2*12+3 = 27 deep.
MAX_DEPTH = 12

# Global names Nix binds in every file (a subset of the builtins available unqualified).
GLOBALS: tuple[str, ...] = (
    "builtins",
    "map",
    "toString",
    "baseNameOf",
    "dirOf",
    "removeAttrs",
    "isNull",
    "import",
)
# builtins.* functions used in applications.
BUILTIN_FUNCS: tuple[str, ...] = (
    "attrNames",
    "attrValues",
    "length",
    "head",
    "tail",
    "filter",
    "elem",
    "concatStringsSep",
    "mapAttrs",
    "listToAttrs",
    "hasAttr",
    "getAttr",
    "toJSON",
    "fromJSON",
    "replaceStrings",
    "substring",
    "stringLength",
    "foldl'",
    "genList",
    "isAttrs",
    "isList",
    "isString",
    "trace",
    "seq",
    "pathExists",
    "readFile",
)
URI_AT_END = re.compile(r"https://\S*$")
KEYWORDS = frozenset({"if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"})
WORDS: tuple[str, ...] = (
    "name",
    "version",
    "src",
    "pname",
    "description",
    "enable",
    "port",
    "hostName",
    "buildInputs",
    "nativeBuildInputs",
    "meta",
    "license",
    "homepage",
    "outputs",
    "config",
    "options",
    "services",
    "networking",
    "users",
    "packages",
    "system",
    "settings",
    "extraConfig",
    "path",
    "prefix",
    "suffix",
    "value",
    "default",
    "target",
    "region",
    "instanceType",
    "keyPair",
    "secrets",
    "deploy",
    "agents",
    "network",
    "machines",
    "nodes",
    "overlays",
    "modules",
    "imports",
    "args",
    "flags",
    "level",
    "count",
    "timeout",
    "interval",
    "retries",
    "owner",
    "repo",
    "branch",
    "ref",
    "rev",
    "hash",
    "url",
    "domain",
    "email",
    "user",
    "group",
    "mode",
    "script",
    "preStart",
    "postStart",
    "environment",
    "wantedBy",
    "after",
    "firewall",
    "allowedTCPPorts",
    "virtualHosts",
    "locations",
    "root",
    "index",
    "proxyPass",
    "listen",
    "ssl",
    "acme",
    "backup",
    "schedule",
    "retention",
    "checks",
    "tests",
    "effects",
    "jobs",
    "matrix",
    "platforms",
    "maintainers",
)
TEXT_WORDS: tuple[str, ...] = (
    "deploy",
    "the",
    "network",
    "to",
    "production",
    "with",
    "nixops",
    "cachix",
    "agent",
    "build",
    "check",
    "ok",
    "failed",
    "retry",
    "web",
    "server",
    "https",
    "config",
    "value",
    "for",
    "and",
    "not",
    "set",
    "in",
    "from",
    "state",
    "file",
    "-",
    ":",
    "/",
    ".",
    ",",
    "=",
    "(",
    ")",
    "[",
    "]",
    "#",
    "@",
    "%",
    "+",
    "*",
)
SHELL_COMMANDS: tuple[str, ...] = (
    "echo",
    "mkdir -p",
    "cp -r",
    "install -Dm644",
    "ln -s",
    "chmod +x",
    "test -f",
    "rm -rf",
    "jq -r",
    "curl -fsSL",
    "nix-build",
    "nixops deploy",
    "cachix push",
    "sed -i",
    "grep -q",
    "touch",
)
FILE_NAMES: tuple[str, ...] = (
    "default.nix",
    "network.nix",
    "network-aws.nix",
    "configuration.nix",
    "hardware.nix",
    "overlay.nix",
    "module.nix",
    "config.json",
    "secrets.yaml",
    "setup.sh",
    "README.md",
)


class Kind(IntEnum):
    """How tightly an expression binds, i.e. where it may appear without parentheses."""

    ATOM = 0  # identifier, literal, list, attrset, select, (…): list element, argument
    APP = 1  # function application: operand of a binary operator, function position
    OP = 2  # operator expression
    LOW = 3  # let / with / if / assert / lambda: only where any expression fits


Expr = tuple[str, Kind]


class Generator:
    """Builds Nix source text from random choices; ``scope`` lists the bound names."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counter = 0

    # ----------------------------------------------------------------- helpers

    def fresh(self, base: str | None = None) -> str:
        """A new identifier, unique in the whole file (so never a duplicate binding)."""
        self.counter += 1
        word = base if base is not None else self.rng.choice(WORDS)
        return f"{word}{self.counter}"

    def attr_name(self, taken: set[str]) -> str:
        """An attribute name (sometimes quoted) not in ``taken``; adds it to ``taken``."""
        r = self.rng
        while True:
            word = r.choice(WORDS)
            if r.random() < 0.5:
                word = f"{word}{r.choice(('', '_', '-', '2', 'X'))}{r.choice(WORDS)}"
            if word in taken or word in KEYWORDS:
                word = self.fresh(word.replace("-", "_"))
            if word not in taken:
                taken.add(word)
                if "-" in word or r.random() < 0.05:
                    return f'"{word}"'
                return word

    @staticmethod
    def atomic(e: Expr) -> str:
        return e[0] if e[1] == Kind.ATOM else f"({e[0]})"

    @staticmethod
    def operand(e: Expr) -> str:
        return e[0] if e[1] <= Kind.APP else f"({e[0]})"

    def text(self, lo: int, hi: int) -> str:
        return " ".join(self.rng.choice(TEXT_WORDS) for _ in range(self.rng.randint(lo, hi)))

    # ----------------------------------------------------------------- atoms

    def atom(self, scope: list[str]) -> Expr:
        r = self.rng
        k = r.random()
        if k < 0.30 and scope:
            return r.choice(scope), Kind.ATOM
        if k < 0.40:
            number = r.choice((0, 1, 2, 8, 22, 80, 443, 1024, 8080, r.randint(0, 99999)))
            return str(number), Kind.ATOM
        if k < 0.43:
            return f"{r.randint(0, 99)}.{r.randint(0, 99)}", Kind.ATOM
        if k < 0.50:
            return r.choice(("true", "false", "null")), Kind.ATOM
        if k < 0.75:
            return self.simple_string(), Kind.ATOM
        if k < 0.82:
            return self.path(), Kind.ATOM
        if k < 0.84:
            return f"https://example.org/{r.choice(WORDS)}/{r.randint(1, 999)}.tar.gz", Kind.ATOM
        if k < 0.92 and scope:
            base = r.choice(scope)
            return base + "".join("." + r.choice(WORDS) for _ in range(r.randint(1, 3))), Kind.ATOM
        return f"builtins.{r.choice(BUILTIN_FUNCS)}", Kind.ATOM

    def simple_string(self) -> str:
        r = self.rng
        body = self.text(0, 6)
        if r.random() < 0.15:
            body += r.choice((r"\n", r"\t", r"\"quoted\"", r"\\", r"\${not-interpolated}"))
        return f'"{body}"'

    def path(self) -> str:
        r = self.rng
        parts = [r.choice(WORDS) for _ in range(r.randint(0, 2))] + [r.choice(FILE_NAMES)]
        prefix = r.choice(("./", "./", "../", "/etc/", "../../"))
        return prefix + "/".join(parts)

    # ----------------------------------------------------------------- compounds

    def expr(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        # The deeper we are, the likelier an atom: keeps expected size finite.
        if depth >= MAX_DEPTH or r.random() < 0.22 + depth * 0.07:
            return self.atom(scope)
        choice = r.choices(
            (
                self.attrset,
                self.list_,
                self.let_in,
                self.lambda_,
                self.application,
                self.binop,
                self.if_,
                self.with_,
                self.interp_string,
                self.indented_string,
                self.select_or,
                self.unary,
                self.has_attr,
                self.assert_,
                self.path_interp,
            ),
            weights=(18, 8, 6, 7, 12, 10, 5, 3, 8, 5, 4, 2, 2, 1, 1),
        )[0]
        return choice(depth + 1, scope, indent)

    def bindings(
        self, depth: int, scope: list[str], indent: int, n: int, allow_dynamic: bool
    ) -> tuple[list[str], list[str]]:
        """``n`` attribute bindings; returns (lines, plain names bound by them)."""
        r = self.rng
        pad = "  " * (indent + 1)
        taken: set[str] = set()
        lines: list[str] = []
        names: list[str] = []
        for _ in range(n):
            k = r.random()
            if k < 0.08 and scope:
                # `inherit x y;` from the enclosing scope (names not yet taken here).
                avail = [s for s in scope if s not in taken and "." not in s]
                picked = sorted(set(r.sample(avail, min(len(avail), r.randint(1, 3)))))
                if picked:
                    taken.update(picked)
                    names.extend(picked)
                    lines.append(f"{pad}inherit {' '.join(picked)};")
                    continue
            if k < 0.14 and scope:
                src = self.atomic(self.atom(scope))
                picked = [self.attr_name(taken) for _ in range(r.randint(1, 3))]
                picked = [p for p in picked if not p.startswith('"')]
                if picked:
                    names.extend(picked)
                    lines.append(f"{pad}inherit ({src}) {' '.join(picked)};")
                    continue
            if k < 0.18 and allow_dynamic and scope:
                # Only a variable: Nix resolves `${"constant"}` keys statically, and
                # those could clash with the other names of this set.
                key = f"${{{r.choice(scope)}}}"
            elif k < 0.30:
                # Nested attribute path `a.b.c = …;` with a fresh first component.
                first = self.attr_name(taken)
                rest = ".".join(r.choice(WORDS) for _ in range(r.randint(1, 2)))
                key = f"{first}.{rest}"
            else:
                key = self.attr_name(taken)
                if not key.startswith('"'):
                    names.append(key)
            if r.random() < 0.06:
                lines.append(f"{pad}# {self.text(2, 8)}")
            value = self.expr(depth, scope, indent + 1)[0]
            lines.append(f"{pad}{key} = {value};")
        return lines, names

    def attrset(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        n = r.randint(0, 6) if depth > 3 else r.randint(1, 8)
        if n == 0:
            return "{ }", Kind.ATOM
        if r.random() < 0.12:
            # rec: values may name any sibling, so the names are chosen first.
            names = [self.fresh() for _ in range(n)]
            inner = scope + names
            lines = [
                f"{'  ' * (indent + 1)}{nm} = {self.expr(depth, inner, indent + 1)[0]};"
                for nm in names
            ]
            body = "\n".join(lines)
            return f"rec {{\n{body}\n{'  ' * indent}}}", Kind.ATOM
        lines, _ = self.bindings(depth, scope, indent, n, allow_dynamic=True)
        pad = "  " * indent
        body = "\n".join(lines)
        return f"{{\n{body}\n{pad}}}", Kind.ATOM

    def list_(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        n = r.randint(0, 6)
        items = [self.atomic(self.expr(depth + 1, scope, indent + 1)) for _ in range(n)]
        if not items:
            return "[ ]", Kind.ATOM
        flat = f"[ {' '.join(items)} ]"
        if len(flat) < 80 and "\n" not in flat:
            return flat, Kind.ATOM
        pad = "  " * (indent + 1)
        return "[\n" + "".join(f"{pad}{i}\n" for i in items) + "  " * indent + "]", Kind.ATOM

    def let_in(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        names = [self.fresh() for _ in range(r.randint(1, 5))]
        inner = scope + names
        pad = "  " * (indent + 1)
        lines = [f"{pad}{nm} = {self.expr(depth, inner, indent + 1)[0]};" for nm in names]
        body = self.expr(depth, inner, indent)[0]
        return (
            "let\n" + "\n".join(lines) + "\n" + "  " * indent + "in\n" + "  " * indent + body,
            Kind.LOW,
        )

    def lambda_(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        if r.random() < 0.45:
            arg = self.fresh("x")
            return f"{arg}: {self.expr(depth, [*scope, arg], indent)[0]}", Kind.LOW
        formals = [self.fresh() for _ in range(r.randint(1, 5))]
        inner = scope + formals
        parts = []
        for f in formals:
            if r.random() < 0.35:
                default = self.expr(depth + 2, inner, indent)[0]
                # A URI literal swallows a following `,` (it is a URI character).
                if URI_AT_END.search(default):
                    default = f"({default})"
                parts.append(f"{f} ? {default}")
            else:
                parts.append(f)
        if r.random() < 0.5:
            parts.append("...")
        head = "{ " + ", ".join(parts) + " }"
        if r.random() < 0.2:
            whole = self.fresh("args")
            inner = [*inner, whole]
            head += f"@{whole}"
        return f"{head}:\n{'  ' * indent}{self.expr(depth, inner, indent)[0]}", Kind.LOW

    def application(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        k = r.random()
        if k < 0.4:
            fn = f"builtins.{r.choice(BUILTIN_FUNCS)}"
        elif k < 0.55:
            fn = r.choice(("map", "toString", "baseNameOf", "dirOf", "removeAttrs", "import"))
        elif scope:
            fn = r.choice(scope)
            if r.random() < 0.4:
                fn += "." + r.choice(WORDS)
        else:
            fn = "builtins.trace"
        args = [self.atomic(self.expr(depth + 1, scope, indent)) for _ in range(r.randint(1, 3))]
        return f"{fn} {' '.join(args)}", Kind.APP

    def binop(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        op = r.choice(
            (
                "+",
                "+",
                "-",
                "*",
                "/",
                "++",
                "//",
                "//",
                "==",
                "!=",
                "<",
                "<=",
                ">",
                ">=",
                "&&",
                "||",
                "->",
            )
        )
        left = self.operand(self.expr(depth + 1, scope, indent))
        right = self.operand(self.expr(depth + 1, scope, indent))
        return f"{left} {op} {right}", Kind.OP

    def if_(self, depth: int, scope: list[str], indent: int) -> Expr:
        cond = self.expr(depth, scope, indent)[0]
        then = self.expr(depth, scope, indent + 1)[0]
        else_ = self.expr(depth, scope, indent + 1)[0]
        pad = "  " * (indent + 1)
        return f"if {cond}\n{pad}then {then}\n{pad}else {else_}", Kind.LOW

    def with_(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        ns = r.choice(scope) if scope and r.random() < 0.7 else "builtins"
        return f"with {ns}; {self.expr(depth, scope, indent)[0]}", Kind.LOW

    def interp_string(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        parts = []
        for _ in range(r.randint(1, 3)):
            parts.append(self.text(0, 4))
            parts.append("${" + self.expr(depth + 1, scope, indent)[0] + "}")
        parts.append(self.text(0, 3))
        return '"' + " ".join(p for p in parts if p) + '"', Kind.ATOM

    def indented_string(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        pad = "  " * (indent + 1)
        lines = []
        for _ in range(r.randint(1, 8)):
            cmd = r.choice(SHELL_COMMANDS)
            k = r.random()
            if k < 0.35:
                arg = "${" + self.atomic(self.atom(scope)) + "}"
            elif k < 0.45:
                arg = "${" + self.expr(depth + 1, scope, indent + 1)[0] + "}"
            elif k < 0.55:
                arg = r.choice(("$out", "$HOME/.config", '"$1"', "''${HOME}", "'''quoted'''"))
            else:
                arg = self.text(1, 5)
            lines.append(f"{pad}{cmd} {arg}")
        return "''\n" + "\n".join(lines) + "\n" + "  " * indent + "''", Kind.ATOM

    def select_or(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        base = r.choice(scope) if scope else "builtins"
        path = ".".join(r.choice(WORDS) for _ in range(r.randint(1, 3)))
        default = self.atomic(self.expr(depth + 1, scope, indent))
        return f"{base}.{path} or {default}", Kind.APP

    def unary(self, depth: int, scope: list[str], indent: int) -> Expr:
        op = self.rng.choice(("!", "-"))
        return f"{op}{self.atomic(self.expr(depth + 1, scope, indent))}", Kind.OP

    def has_attr(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        base = self.atomic(self.atom(scope))
        return f"{base} ? {r.choice(WORDS)}", Kind.OP

    def assert_(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        cond = (r.choice(scope) if scope else "true") + f" ? {r.choice(WORDS)}"
        return f"assert {cond};\n{'  ' * indent}{self.expr(depth, scope, indent)[0]}", Kind.LOW

    def path_interp(self, depth: int, scope: list[str], indent: int) -> Expr:
        r = self.rng
        inner = self.atomic(self.atom(scope)) if scope else '"x"'
        return f"./{r.choice(WORDS)}/${{{inner}}}.nix", Kind.ATOM


def generate(size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED) -> str:
    """Return Nix source of at least ``size`` bytes (a function over a large ``let``)."""
    rng = random.Random(seed)
    gen = Generator(rng)
    header_args = ["pkgs ? null", "lib ? null", 'system ? "x86_64-linux"', "src ? { ref = null; }"]
    scope: list[str] = ["pkgs", "lib", "system", "src", *GLOBALS]
    out: list[str] = [
        "# Generated by bench/gen_large.py: a large, syntactically realistic Nix file for\n",
        f"# parse benchmarks (seed {seed}). It parses; it is not meant to evaluate.\n",
        "{ " + ", ".join(header_args) + ", ... }:\n\nlet\n",
    ]
    total = sum(len(s) for s in out)
    names: list[str] = []
    # Reserve room for the final attrset (about 1/20 of the file).
    while total < size * 0.95:
        name = gen.fresh()
        # Bindings may refer to all earlier ones (let is recursive; earlier is realistic).
        value = gen.expr(0, scope + names[-200:], 1)[0]
        line = f"  {name} = {value};\n"
        names.append(name)
        out.append(line)
        total += len(line)
    out.append("in\n{\n")
    taken: set[str] = set()
    while total < size:
        key = gen.attr_name(taken)
        value = gen.expr(1, scope + names, 1)[0]
        line = f"  {key} = {value};\n"
        out.append(line)
        total += len(line)
    inherited = sorted(n for n in rng.sample(names, 5) if n not in taken)
    out.append(f"  inherit {' '.join(inherited)};\n")
    out.append("}\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT, help="output file")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="minimum size in bytes")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    text = generate(args.size, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text.encode())} bytes, seed {args.seed})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
