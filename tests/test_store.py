"""Differential tests of nixeval.store against real Nix 2.8.

Every case is written twice: as a Nix expression for `nix-instantiate`, and as the
already-coerced input the evaluator will hand to `nixeval.store` (env strings, args,
string context). Results are batched: one `nix-instantiate --eval --strict --json` call per
group in read-only mode with the dummy store (the mode ci-eval mirrors), plus one call with
a throw-away local store in `tmp_path` whose written .drv files give the exact ATerm text
to compare with `DerivationStore.unparse`. Error cases run one Nix call each (an error ends
a batch), in parallel.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from nixeval.store import (
    STORE_DIR,
    DerivationStore,
    StoreError,
    base32,
    check_store_name,
    fixed_output_path,
    hash_placeholder,
    nar_sha256,
    source_path,
    text_path,
)
from nixeval.store.base32 import base32_decode
from nixeval.store.hashes import parse_hash

NIX = shutil.which("nix-instantiate")
TIMEOUT_S = 120.0

pytestmark = pytest.mark.skipif(NIX is None, reason="nix-instantiate not on PATH")


# --- running the oracle -------------------------------------------------------------------


def _nix(expr: str, store: pathlib.Path | None = None) -> subprocess.CompletedProcess[str]:
    assert NIX is not None
    env = dict(os.environ)
    cmd = [NIX, "--eval", "--strict", "--json"]
    if store is None:
        env["NIX_REMOTE"] = "dummy://"
        cmd.append("--readonly-mode")
    else:
        # A private local store: Nix writes the .drv files there, so we can read them.
        env.pop("NIX_REMOTE", None)
        cmd += ["--read-write-mode", "--store", str(store)]
    return subprocess.run(
        [*cmd, "-E", expr],
        capture_output=True,
        encoding="utf-8",
        errors="surrogateescape",
        env=env,
        timeout=TIMEOUT_S,
    )


def nix_json(expr: str, store: pathlib.Path | None = None) -> Any:
    done = _nix(expr, store)
    assert done.returncode == 0, done.stderr[:3000]
    return json.loads(done.stdout)


def nix_error(expr: str) -> str:
    """The first line of Nix's error message, without "error: "."""
    done = _nix(expr)
    assert done.returncode != 0, f"Nix accepted {expr!r}: {done.stdout}"
    for line in done.stderr.splitlines():
        if line.startswith("error: "):
            return line[len("error: ") :]
    raise AssertionError(done.stderr)


def nix_errors(exprs: Sequence[str]) -> list[str]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(nix_error, exprs))


# --- writing the same value for Nix and for Python -----------------------------------------


def nix_str(s: str) -> str:
    """A Nix string literal for `s`."""
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${")
    out = out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{out}"'


@dataclass(frozen=True)
class S:
    """A string-with-context value: its Nix expression, its text and its context."""

    nix: str
    value: str
    context: frozenset[str] = frozenset()


def cat(*parts: str | S) -> S:
    """An interpolated string "${a}${b}…" (plain str parts are literal text)."""
    nix: list[str] = []
    value: list[str] = []
    ctx: set[str] = set()
    for p in parts:
        if isinstance(p, str):
            nix.append(nix_str(p)[1:-1])
            value.append(p)
        else:
            nix.append("${" + p.nix + "}")
            value.append(p.value)
            ctx |= p.context
    return S('"' + "".join(nix) + '"', "".join(value), frozenset(ctx))


Attr = str | bool | int | S | list[Any]


def nix_value(v: Attr) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return nix_str(v)
    if isinstance(v, S):
        return f"({v.nix})"
    return "[ " + " ".join(nix_value(x) for x in v) + " ]"


def coerce(v: Attr, ctx: set[str]) -> str:
    """What the evaluator does before calling derivation_strict (coerceToString, more)."""
    if isinstance(v, bool):
        return "1" if v else ""
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return v
    if isinstance(v, S):
        ctx |= v.context
        return v.value
    return " ".join(coerce(x, ctx) for x in v)


def to_env(attrs: dict[str, Attr]) -> tuple[dict[str, str], list[str], set[str]]:
    ctx: set[str] = set()
    env = {k: coerce(v, ctx) for k, v in attrs.items() if k != "args"}
    args_value = attrs.get("args", [])
    assert isinstance(args_value, list)
    args = [coerce(a, ctx) for a in args_value]
    return env, args, ctx


def nix_attrs(attrs: dict[str, Attr]) -> str:
    return "{ " + " ".join(f"{nix_str(k)} = {nix_value(v)};" for k, v in attrs.items()) + " }"


# --- the fixture tree -------------------------------------------------------------------


def make_tree(root: pathlib.Path) -> pathlib.Path:
    (root / "d" / "e").mkdir(parents=True)
    (root / "d" / "skip").mkdir()
    (root / "empty").mkdir()
    (root / "f.txt").write_text("hello\n")
    (root / "exe").write_text("#!/bin/sh\necho hi\n")
    (root / "exe").chmod(0o755)
    (root / "link").symlink_to("f.txt")
    (root / "dangling").symlink_to("nowhere/at/all")
    (root / "odd+name=1?_.x").write_text("odd")
    (root / "a b").write_text("space")
    (root / "big").write_bytes(bytes(range(256)) * 1000 + b"tail")
    (root / "d" / "e" / "g").write_text("g\n")
    (root / "d" / "e" / "run").write_text("x")
    (root / "d" / "e" / "run").chmod(0o700)
    (root / "d" / "skip" / "h").write_text("h")
    (root / "d" / "ln").symlink_to("e/g")
    (root / "d" / "Z").write_text("upper sorts first")
    (root / "builder.sh").write_text("echo $out\n")
    return root


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return make_tree(tmp_path_factory.mktemp("tree"))


def nix_path(p: pathlib.Path) -> str:
    # A path expression for any absolute path (also ones with spaces): /root + "/rest".
    return f"(/. + {nix_str(str(p))})"


# --- basics -------------------------------------------------------------------------------


def test_store_dir() -> None:
    assert nix_json("builtins.storeDir") == STORE_DIR


def test_base32_round_trip() -> None:
    for size in (16, 20, 32, 64):
        for seed in range(20):
            digest = hashlib.sha512(bytes([size, seed])).digest()[:size]
            assert base32_decode(base32(digest), size) == digest


PLACEHOLDERS = ["out", "dev", "bin", "lib", "man", "a-b", "x.y", "OUT", ""]


def test_placeholder() -> None:
    got = nix_json(
        "[ " + " ".join(f"(builtins.placeholder {nix_str(o)})" for o in PLACEHOLDERS) + " ]"
    )
    assert got == [hash_placeholder(o) for o in PLACEHOLDERS]


# --- builtins.toFile ----------------------------------------------------------------------

TO_FILE = [
    ("a", "b"),
    ("empty", ""),
    ("nl", "line 1\nline 2\n"),
    ("unicode", "héllo wörld ✓"),
    ("odd-name_1.2+3?=", "x"),
    (".dotfile", "x"),
    ("x" * 211, "long name"),
    ("script.sh", '#!/bin/sh\necho "$out" \\ ${HOME}\n'),
]


def test_to_file() -> None:
    got = nix_json(
        "[ " + " ".join(f"(builtins.toFile {nix_str(n)} {nix_str(t)})" for n, t in TO_FILE) + " ]"
    )
    assert got == [text_path(n, t, []) for n, t in TO_FILE]


def test_to_file_with_references() -> None:
    store = DerivationStore()
    a = store.to_file("a", "x", [])
    b = store.to_file("b", f"see {a}", [a])
    c = store.to_file("c", f"{b} and {a}", [a, b])
    expr = """
      let a = builtins.toFile "a" "x";
          b = builtins.toFile "b" "see ${a}";
          c = builtins.toFile "c" "${b} and ${a}";
          # the same text without context is another path
          plain = builtins.toFile "b" (builtins.unsafeDiscardStringContext "see ${a}");
      in [ a b c plain ]
    """
    assert nix_json(expr) == [a, b, c, text_path("b", f"see {a}", [])]
    assert b != text_path("b", f"see {a}", [])


INVALID_NAMES = ["a b", "", "é", "x" * 212, "a/b", "a:b", "a~b", "a@b"]


def test_to_file_invalid_names() -> None:
    messages = nix_errors([f'builtins.toFile {nix_str(n)} "b"' for n in INVALID_NAMES])
    for name, message in zip(INVALID_NAMES, messages, strict=True):
        with pytest.raises(StoreError) as info:
            text_path(name, "b", [])
        assert info.value.message == message
        with pytest.raises(StoreError):
            check_store_name(name)


def test_to_file_refuses_derivation_context() -> None:
    store = DerivationStore()
    drv, outs = store.derivation_strict({"name": "x", "system": "x", "builder": "/bin/sh"}, [], [])
    base = 'let d = derivation { name = "x"; system = "x"; builder = "/bin/sh"; }; in '
    messages = nix_errors(
        [base + 'builtins.toFile "b" "${d}"', base + 'builtins.toFile "b" "${d.drvPath}"']
    )
    for ctx, message in zip([f"!out!{drv}", f"={drv}"], messages, strict=True):
        with pytest.raises(StoreError) as info:
            store.to_file("b", outs["out"], [ctx])
        assert info.value.message == message


# --- source paths -------------------------------------------------------------------------

SOURCES = ["f.txt", "exe", "link", "dangling", "empty", "d", "d/e", "odd+name=1?_.x", "big", "."]


def test_path_coercion(tree: pathlib.Path) -> None:
    got = nix_json("[ " + " ".join(f'"${{{nix_path(tree / s)}}}"' for s in SOURCES) + " ]")
    assert got == [source_path(tree / s) for s in SOURCES]


def test_path_coercion_invalid_name(tree: pathlib.Path) -> None:
    (message,) = nix_errors([f'"${{{nix_path(tree / "a b")}}}"'])
    with pytest.raises(StoreError) as info:
        source_path(tree / "a b")
    assert info.value.message == message


@dataclass(frozen=True)
class Filter:
    nix: str
    py: Callable[[pathlib.Path, str], bool]


FILTERS = {
    "no-skip": Filter('p: t: baseNameOf p != "skip"', lambda p, t: p.name != "skip"),
    "no-symlinks": Filter('p: t: t != "symlink"', lambda p, t: t != "symlink"),
    "only-dirs": Filter('p: t: t == "directory"', lambda p, t: t == "directory"),
    "nothing": Filter("p: t: false", lambda p, t: False),
    "no-g-anywhere": Filter('p: t: baseNameOf p != "g"', lambda p, t: p.name != "g"),
}


def _sha256_nar_sri(path: pathlib.Path) -> str:
    return "sha256-" + base64.b64encode(nar_sha256(path)).decode()


def test_builtins_path(tree: pathlib.Path) -> None:
    d = tree / "d"
    f = tree / "f.txt"
    flat = hashlib.sha256(f.read_bytes()).digest()
    cases: list[tuple[str, str]] = [
        (f"builtins.path {{ path = {nix_path(d)}; }}", source_path(d)),
        (f'builtins.path {{ path = {nix_path(d)}; name = "src"; }}', source_path(d, "src")),
        (f'builtins.path {{ path = {nix_path(f)}; name = "a.b-c"; }}', source_path(f, "a.b-c")),
        (
            f"builtins.path {{ path = {nix_path(f)}; recursive = false; }}",
            source_path(f, recursive=False),
        ),
        (
            f"builtins.path {{ path = {nix_path(tree / 'exe')}; recursive = false; }}",
            source_path(tree / "exe", recursive=False),
        ),
        (
            f"builtins.path {{ path = {nix_path(tree / 'link')}; recursive = false; }}",
            source_path(tree / "link", recursive=False),
        ),
        (
            f"builtins.path {{ path = {nix_path(f)}; recursive = false; "
            f'sha256 = "{flat.hex()}"; }}',
            source_path(f, recursive=False, expected_hash=flat.hex()),
        ),
        (
            f'builtins.path {{ path = {nix_path(d)}; sha256 = "{_sha256_nar_sri(d)}"; }}',
            source_path(d, expected_hash=_sha256_nar_sri(d)),
        ),
        (
            f'builtins.path {{ path = {nix_path(d)}; sha256 = "{base32(nar_sha256(d))}"; }}',
            source_path(d, expected_hash=base32(nar_sha256(d))),
        ),
    ]
    for key, flt in FILTERS.items():
        cases.append(
            (
                f"builtins.path {{ path = {nix_path(tree)}; "
                f'name = "t-{key}"; filter = {flt.nix}; }}',
                source_path(tree, f"t-{key}", filter=flt.py),
            )
        )
        cases.append(
            (
                f"builtins.filterSource ({flt.nix}) {nix_path(d)}",
                source_path(d, filter=flt.py),
            )
        )
    # A filter whose sha256 is given must match the filtered tree.
    filtered = tree / "d"
    flt = FILTERS["no-skip"]
    digest = nar_sha256(filtered, flt.py)
    cases.append(
        (
            f"builtins.path {{ path = {nix_path(filtered)}; filter = {flt.nix}; "
            f'sha256 = "{digest.hex()}"; }}',
            source_path(filtered, filter=flt.py, expected_hash=digest.hex()),
        )
    )
    got = nix_json("[ " + " ".join(f"({e})" for e, _ in cases) + " ]")
    assert got == [want for _, want in cases]


def test_filter_sees_every_entry_below_the_root(tree: pathlib.Path) -> None:
    seen: list[tuple[str, str]] = []

    def record(p: pathlib.Path, t: str) -> bool:
        seen.append((str(p.relative_to(tree)), t))
        return p.name != "skip"

    nar_sha256(tree / "d", record)
    assert seen == [
        ("d/Z", "regular"),
        ("d/e", "directory"),
        ("d/e/g", "regular"),
        ("d/e/run", "regular"),
        ("d/ln", "symlink"),
        ("d/skip", "directory"),
    ]


def test_builtins_path_errors(tree: pathlib.Path) -> None:
    f = tree / "f.txt"
    wrong = "0" * 52
    exprs = [
        f'builtins.path {{ path = {nix_path(f)}; sha256 = "{wrong}"; }}',
        f"builtins.path {{ path = {nix_path(tree / 'd')}; recursive = false; }}",
        f'builtins.path {{ path = {nix_path(f)}; name = "a b"; }}',
    ]
    messages = nix_errors(exprs)
    calls: list[Callable[[], str]] = [
        lambda: source_path(f, expected_hash=wrong),
        lambda: source_path(tree / "d", recursive=False),
        lambda: source_path(f, "a b"),
    ]
    for call, message in zip(calls, messages, strict=True):
        with pytest.raises(StoreError) as info:
            call()
        assert info.value.message == message


def test_fixed_output_path_matches_sources(tree: pathlib.Path) -> None:
    f = tree / "f.txt"
    digest = hashlib.sha256(f.read_bytes()).digest()
    assert source_path(f, recursive=False) == fixed_output_path("f.txt", "sha256", digest, False)
    assert source_path(f) == fixed_output_path("f.txt", "sha256", nar_sha256(f), True)


# --- derivations --------------------------------------------------------------------------


@dataclass(frozen=True)
class Out:
    """`dep` or `dep.<output>` of an earlier case (context "!output!drv")."""

    case: str
    output: str = "out"


@dataclass(frozen=True)
class DrvPath:
    """`dep.drvPath` of an earlier case (context "=drv")."""

    case: str


@dataclass(frozen=True)
class Src:
    """A path literal below the fixture tree, coerced to its store path."""

    rel: str


@dataclass(frozen=True)
class ToFile:
    name: str
    text: str
    refs: tuple[str, ...] = ()  # names of earlier ToFile values (by name) it interpolates


@dataclass(frozen=True)
class Cat:
    parts: tuple[Any, ...]


BASE = {"system": "x86_64-linux", "builder": "/bin/sh"}
FLAT_TEXT = b"fixed output contents\n"
H256 = hashlib.sha256(FLAT_TEXT).digest()
H1 = hashlib.sha1(FLAT_TEXT).digest()
HMD5 = hashlib.md5(FLAT_TEXT).digest()
H512 = hashlib.sha512(FLAT_TEXT).digest()
B64 = base64.b64encode


def _case(name: str, **attrs: Any) -> dict[str, Any]:
    return {"name": name, **BASE, **attrs}


# (id, attrs); attrs may refer to earlier ids through Out/DrvPath.
DRV_CASES: list[tuple[str, dict[str, Any]]] = [
    ("minimal", _case("x")),
    ("minimal-2", {"name": "x", "system": "x86_64-linux", "builder": "/bin/bash"}),
    ("args", _case("with-args", args=["-c", "echo hello > $out", ""])),
    ("multi", _case("multi", outputs=["out", "dev", "lib"])),
    ("multi-unsorted", _case("multi2", outputs=["z", "bin", "a"])),
    ("dev-first", _case("devfirst", outputs=["dev", "out"])),
    ("single-named", _case("single", outputs=["bin"])),
    ("dep-out", _case("dep-out", src=Out("minimal"))),
    ("dep-dev", _case("dep-dev", inc=Out("multi", "dev"))),
    ("dep-two-outputs", _case("dep-two", a=Out("multi", "lib"), b=Out("multi"))),
    ("dep-in-args", _case("dep-args", args=[Cat(("--with=", Out("args"), "/bin"))])),
    ("dep-drvpath", _case("dep-drvpath", d=DrvPath("minimal"))),
    ("dep-drvpath-nested", _case("dep-drvpath2", d=DrvPath("dep-two-outputs"))),
    ("chain", _case("chain", x=Out("dep-drvpath-nested"), y=Out("dep-dev", "out"))),
    ("dep-tofile", _case("dep-tofile", script=ToFile("script", "echo hi\n"))),
    (
        "dep-tofile-refs",
        _case(
            "dep-tofile-refs",
            script=ToFile("outer", "run ", ("inner",)),
            inner=ToFile("inner", "inner text"),
        ),
    ),
    ("drvpath-through-text-refs", _case("closure", d=DrvPath("dep-tofile-refs"))),
    ("dep-path", _case("dep-path", src=Src("d"), file=Src("f.txt"))),
    ("builder-path", {"name": "bp", "system": "x86_64-linux", "builder": Src("builder.sh")}),
    ("fixed-base16", _case("fixed", outputHash=H256.hex(), outputHashAlgo="sha256")),
    ("fixed-base16-upper", _case("fixedU", outputHash=H256.hex().upper(), outputHashAlgo="sha256")),
    ("fixed-base32", _case("fixed", outputHash=base32(H256), outputHashAlgo="sha256")),
    ("fixed-base64", _case("fixed", outputHash=B64(H256).decode(), outputHashAlgo="sha256")),
    ("fixed-sri", _case("fixed", outputHash="sha256-" + B64(H256).decode())),
    (
        "fixed-sri-algo",
        _case("fixed", outputHash="sha256-" + B64(H256).decode(), outputHashAlgo="sha256"),
    ),
    ("fixed-prefixed", _case("fixed", outputHash="sha256:" + base32(H256))),
    (
        "fixed-flat-explicit",
        _case("fixed", outputHash=H256.hex(), outputHashAlgo="sha256", outputHashMode="flat"),
    ),
    (
        "fixed-other-builder",
        {
            "name": "fixed",
            "system": "aarch64-linux",
            "builder": "/bin/bash",
            "outputHash": H256.hex(),
            "outputHashAlgo": "sha256",
        },
    ),
    (
        "fixed-recursive",
        _case("rec", outputHash=H256.hex(), outputHashAlgo="sha256", outputHashMode="recursive"),
    ),
    ("fixed-sha1", _case("sha1", outputHash=H1.hex(), outputHashAlgo="sha1")),
    ("fixed-sha1-base32", _case("sha1", outputHash=base32(H1), outputHashAlgo="sha1")),
    (
        "fixed-sha1-recursive",
        _case("sha1r", outputHash="sha1-" + B64(H1).decode(), outputHashMode="recursive"),
    ),
    ("fixed-md5", _case("md5", outputHash=HMD5.hex(), outputHashAlgo="md5")),
    (
        "fixed-sha512",
        _case("s512", outputHash="sha512-" + B64(H512).decode(), outputHashMode="recursive"),
    ),
    ("fixed-sha512-base32", _case("s512f", outputHash=base32(H512), outputHashAlgo="sha512")),
    (
        "fixed-out-named",
        _case("fixedo", outputHash=H256.hex(), outputHashAlgo="sha256", outputs=["out"]),
    ),
    (
        "fixed-with-dep",
        _case("fetch", outputHash=H256.hex(), outputHashAlgo="sha256", dep=Out("minimal")),
    ),
    ("dep-fixed", _case("use-fixed", src=Out("fixed-base16"))),
    # Same output path as dep-fixed's input, different .drv: the dependent's paths agree.
    ("dep-fixed-other", _case("use-fixed", src=Out("fixed-other-builder"))),
    ("dep-fixed-both", _case("use-both", a=Out("fixed-base16"), b=Out("fixed-other-builder"))),
    ("dep-fixed-recursive", _case("use-rec", src=Out("fixed-recursive"), o=Out("fixed-sha1"))),
    ("dep-fixed-drvpath", _case("use-fixed-drv", d=DrvPath("fixed-with-dep"))),
    ("name-odd", _case("a-b_c.d+e?f=g")),
    ("name-dot", _case(".hidden")),
    ("name-version", _case("hello-2.12.1")),
    ("name-long", _case("n" * 200)),
    ("name-digits", _case("123", outputs=["out", "x"])),
    (
        "escaping",
        _case(
            "esc",
            q='say "hi"',
            bs="back\\slash \\n not a newline",
            nl="line1\nline2\r\nline3",
            tab="a\tb",
            uni="héllo ✓ \u00a0",
            dollar="$out ${x}",
            empty="",
            paren="(),[]",
        ),
    ),
    (
        "escaping-builder-args",
        {
            "name": "escb",
            "system": "x86_64-linux",
            "builder": '/bin/"weird"\\sh',
            "args": ['a"b', "c\\d", "e\nf\tg\rh"],
        },
    ),
    # `system` is written without escaping (printUnquotedString), unlike everything else.
    ("escaping-system", _case("escs", system='my"sys\\tem')),
    ("escaping-keys", _case("esck", **{"a-b": "1", "with space": "2", 'q"k': "3", "Z": "4"})),
    (
        "coerced-values",
        _case("coerced", yes=True, no=False, n=42, neg=-7, l=["a", "b", 3, True], nested=[]),
    ),
    (
        "placeholder",
        _case(
            "ph",
            outputs=["out", "dev"],
            cmd=Cat(("mkdir ", S('builtins.placeholder "dev"', hash_placeholder("dev")))),
        ),
    ),
    ("outputs-string", _case("os", outputs="out dev")),
    ("outputs-whitespace", {**_case("ows"), "outputs": S('"  out\\t\\ndev  "', "  out\t\ndev  ")}),
    ("consumed-flags", _case("flags", __contentAddressed=False, __impure=False)),
    ("structured-false", _case("sa", __structuredAttrs=False)),
    (
        "outputHashMode-without-hash",
        _case("ohm", outputHashMode="recursive", outputHashAlgo="sha256"),
    ),
    ("output-env-override", _case("ovr", out="ignored", dev="also", outputs=["out", "dev"])),
]


@dataclass
class Resolved:
    nix_bindings: list[str] = field(default_factory=list)
    results: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    env_of: dict[str, tuple[dict[str, str], list[str], set[str]]] = field(default_factory=dict)


def _var(case: str) -> str:
    return "c_" + case.replace("-", "_")


def _resolve_value(v: Any, r: Resolved, store: DerivationStore, tree: pathlib.Path) -> Any:
    if isinstance(v, list):
        return [_resolve_value(x, r, store, tree) for x in v]
    if isinstance(v, Out):
        drv, outs = r.results[v.case]
        expr = _var(v.case) if v.output == "out" else f"{_var(v.case)}.{v.output}"
        return S(expr, outs[v.output], frozenset({f"!{v.output}!{drv}"}))
    if isinstance(v, DrvPath):
        drv, _ = r.results[v.case]
        return S(f"{_var(v.case)}.drvPath", drv, frozenset({f"={drv}"}))
    if isinstance(v, Src):
        p = source_path(tree / v.rel) if v.rel != "." else source_path(tree)
        return S(f'"${{{nix_path(tree / v.rel)}}}"', p, frozenset({p}))
    if isinstance(v, ToFile):
        refs = [_resolve_value(ToFile(n, _TEXTS[n]), r, store, tree) for n in v.refs]
        body = cat(v.text, *refs) if refs else S(nix_str(v.text), v.text)
        path = store.to_file(v.name, body.value, body.context)
        return S(f"builtins.toFile {nix_str(v.name)} {body.nix}", path, frozenset({path}))
    if isinstance(v, Cat):
        return cat(*[_resolve_value(x, r, store, tree) for x in v.parts])
    return v


_TEXTS = {"inner": "inner text"}


def resolve_cases(store: DerivationStore, tree: pathlib.Path) -> Resolved:
    r = Resolved()
    for case, attrs in DRV_CASES:
        resolved = {k: _resolve_value(v, r, store, tree) for k, v in attrs.items()}
        env, args, ctx = to_env(resolved)
        r.env_of[case] = (env, args, ctx)
        r.results[case] = store.derivation_strict(env, args, ctx)
        r.nix_bindings.append(f"a_{_var(case)} = {nix_attrs(resolved)};")
        r.nix_bindings.append(f"{_var(case)} = derivation a_{_var(case)};")
    return r


def _uses_drvpath(case: str) -> bool:
    """Whether a case (or a dependency) has "=" context: read-only Nix cannot do those."""
    attrs = dict(DRV_CASES)[case]

    def walk(v: Any) -> bool:
        if isinstance(v, DrvPath):
            return True
        if isinstance(v, Out):
            return _uses_drvpath(v.case)
        if isinstance(v, list):
            return any(walk(x) for x in v)
        if isinstance(v, Cat):
            return any(walk(x) for x in v.parts)
        return False

    return any(walk(v) for v in attrs.values())


def _oracle_expr(r: Resolved, cases: list[str]) -> str:
    # derivationStrict gives { drvPath; <output> = path; … } for the same attributes.
    body = " ".join(f"(derivationStrict a_{_var(c)})" for c in cases)
    return "let\n  " + "\n  ".join(r.nix_bindings) + f"\nin [ {body} ]"


# Nix writes `system` unescaped, so it cannot read such a .drv back: in read-write mode it
# fails right after writing the file. These cases get their paths from the read-only run
# and their text from a separate read-write run whose error is expected.
UNREADABLE_BY_NIX = {"escaping-system"}


@pytest.fixture(scope="module")
def drv_oracle(
    tree: pathlib.Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DerivationStore, Resolved, dict[str, Any], pathlib.Path]]:
    store = DerivationStore()
    r = resolve_cases(store, tree)
    names = [c for c, _ in DRV_CASES]
    rw_names = [c for c in names if c not in UNREADABLE_BY_NIX]
    ro_names = [c for c in names if not _uses_drvpath(c)]
    nix_store = tmp_path_factory.mktemp("nixstore")
    with ThreadPoolExecutor(max_workers=2) as pool:
        rw = pool.submit(nix_json, _oracle_expr(r, rw_names), nix_store)
        ro = pool.submit(nix_json, _oracle_expr(r, ro_names))
        rw_results, ro_results = rw.result(), ro.result()
    got = dict(zip(rw_names, rw_results, strict=True))
    for c, result in zip(ro_names, ro_results, strict=True):
        # Read-only mode with the dummy store computes the same paths.
        assert got.setdefault(c, result) == result, c
    for c in UNREADABLE_BY_NIX:
        expr = "let\n" + "\n".join(r.nix_bindings) + f"\nin (derivationStrict a_{_var(c)})"
        done = _nix(expr, nix_store)
        assert "error parsing derivation" in done.stderr
    yield store, r, got, nix_store


@pytest.mark.parametrize("case", [c for c, _ in DRV_CASES])
def test_derivation(
    case: str, drv_oracle: tuple[DerivationStore, Resolved, dict[str, Any], pathlib.Path]
) -> None:
    store, r, got, nix_store = drv_oracle
    drv_path, outs = r.results[case]
    want = dict(got[case])
    want_drv = want.pop("drvPath")
    assert outs == want
    # The .drv Nix wrote into the private store is the text whose hash is the drv path.
    text = (nix_store / want_drv.lstrip("/")).read_text(encoding="utf-8")
    assert store.unparse(want_drv) == text
    assert drv_path == want_drv


def test_drvpath_context_takes_the_closure(
    drv_oracle: tuple[DerivationStore, Resolved, dict[str, Any], pathlib.Path],
) -> None:
    store, r, _, _ = drv_oracle
    drv = store.get(r.results["dep-drvpath-nested"][0])
    inner = r.results["dep-two-outputs"][0]
    multi = r.results["multi"][0]
    assert drv.input_srcs == {inner, multi}
    assert drv.input_drvs == {inner: {"out"}, multi: {"out", "dev", "lib"}}


# --- derivation errors --------------------------------------------------------------------

_FOD = {"outputHashAlgo": "sha256"}
DRV_ERRORS: list[tuple[str, dict[str, Any]]] = [
    ("no-name", {**BASE}),
    ("no-system", {"name": "x", "builder": "/bin/sh"}),
    ("empty-system", {"name": "x", "builder": "/bin/sh", "system": ""}),
    ("no-builder", {"name": "x", "system": "x"}),
    ("drv-name", _case("x.drv")),
    ("space-name", _case("x y")),
    ("empty-name", _case("")),
    ("long-name", _case("n" * 212)),
    ("long-output-name", _case("n" * 205, outputs=["out", "longer"])),
    ("unicode-name", _case("ü")),
    ("bad-output-char", _case("x", outputs=["a/b"])),
    ("duplicate-output", _case("x", outputs=["a", "b", "a"])),
    ("drv-output", _case("x", outputs=["drv"])),
    ("empty-outputs", _case("x", outputs=[])),
    ("fixed-multi", _case("x", outputs=["out", "dev"], outputHash=H256.hex(), **_FOD)),
    ("fixed-not-out", _case("x", outputs=["bin"], outputHash=H256.hex(), **_FOD)),
    ("bad-mode", _case("x", outputHash=H256.hex(), outputHashMode="foo", **_FOD)),
    ("bad-mode-first", _case("x", outputHashMode="foo", outputs=["a", "a"])),
    ("wrong-length", _case("x", outputHash="abc", **_FOD)),
    ("bad-base16", _case("x", outputHash="g" * 64, **_FOD)),
    ("bad-base32", _case("x", outputHash="e" * 52, **_FOD)),
    ("base32-overflow", _case("x", outputHash="z" * 52, **_FOD)),
    ("bad-base64", _case("x", outputHash="!" * 44, **_FOD)),
    ("bad-sri-length", _case("x", outputHash="sha256-AAAA")),
    ("no-type", _case("x", outputHash=H256.hex())),
    ("unknown-algo", _case("x", outputHash=H256.hex(), outputHashAlgo="sha3")),
    ("type-mismatch", _case("x", outputHash="sha1-" + B64(H1).decode(), **_FOD)),
    ("unknown-prefix", _case("x", outputHash="foo:abc")),
    ("empty-hash-no-type", _case("x", outputHash="")),
    ("content-addressed", _case("x", __contentAddressed=True)),
    ("impure", _case("x", __impure=True)),
]


def test_derivation_errors() -> None:
    exprs = [f"derivationStrict {nix_attrs(attrs)}" for _, attrs in DRV_ERRORS]
    messages = nix_errors(exprs)
    failures: list[tuple[str, str, str]] = []
    for (case, attrs), message in zip(DRV_ERRORS, messages, strict=True):
        env, args, ctx = to_env(attrs)
        with pytest.raises(StoreError) as info:
            DerivationStore().derivation_strict(env, args, ctx)
        failures.extend(
            [] if info.value.message == message else [(case, info.value.message, message)]
        )
    assert failures == []


def test_empty_hash_warns() -> None:
    attrs = _case("x", outputHash="", outputHashAlgo="sha256")
    expr = f"(derivationStrict {nix_attrs(attrs)}).drvPath"
    done = _nix(expr)
    store = DerivationStore()
    drv, _ = store.derivation_strict(*to_env(attrs))
    assert json.loads(done.stdout) == drv
    assert [line.removeprefix("warning: ") for line in done.stderr.splitlines()] == store.warnings


def test_unknown_input_derivation() -> None:
    missing = f"{STORE_DIR}/{'0' * 32}-missing.drv"
    with pytest.raises(StoreError, match="is not valid"):
        DerivationStore().derivation_strict(_case("x"), [], [f"!out!{missing}"])


def test_parse_hash_forms() -> None:
    for text in (H256.hex(), base32(H256), B64(H256).decode(), "sha256-" + B64(H256).decode()):
        assert parse_hash(text, "sha256").digest == H256


# --- __structuredAttrs ----------------------------------------------------------------------

STRUCTURED: list[dict[str, Any]] = [
    _case("sa1", __structuredAttrs=True, a=[1, 'é\n"q"', True], n=3, b=False),
    _case("sa2", __structuredAttrs=True, outputs=["out", "dev"], __contentAddressed=False),
    _case("sa3", __structuredAttrs=True, outputHash=H256.hex(), outputHashAlgo="sha256"),
]


def _structured_input(attrs: dict[str, Any]) -> tuple[dict[str, str], str]:
    """What the evaluator passes in structured mode: a few coerced strings and the JSON."""
    consumed = {"__structuredAttrs", "__contentAddressed", "__impure", "__ignoreNulls", "args"}
    data = {k: v for k, v in attrs.items() if k not in consumed}
    env, _, _ = to_env(attrs)
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return env, text


def test_structured_attrs(tmp_path: pathlib.Path) -> None:
    expr = "[ " + " ".join(f"(derivationStrict {nix_attrs(a)})" for a in STRUCTURED) + " ]"
    read_only = nix_json(expr)
    written = nix_json(expr, tmp_path)
    assert read_only == written
    store = DerivationStore()
    for attrs, want in zip(STRUCTURED, written, strict=True):
        env, text = _structured_input(attrs)
        drv, outs = store.derivation_strict(env, [], [], structured_json=text)
        assert {"drvPath": drv, **outs} == want
        assert store.unparse(drv) == (tmp_path / drv.lstrip("/")).read_text(encoding="utf-8")
    with pytest.raises(StoreError):
        store.derivation_strict(to_env(STRUCTURED[0])[0], [], [])
