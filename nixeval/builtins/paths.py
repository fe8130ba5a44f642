"""Files and paths: import scopedImport readFile readDir pathExists findFile toPath hashFile
path filterSource toFile placeholder storePath nixPath. The fetchers are in `fetchers`."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval.coerce import canon_path, coerce_to_string
from ..eval.force import force
from ..values import Attrs, CStr, NixPath, Unknown, context_of, string_with_context
from .registry import builtin, constant

if TYPE_CHECKING:
    from ..eval.machine import Machine
    from ..syntax.source import Source

_HASHES = {
    "md5": hashlib.md5,
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}


def coerce_to_path(m: Machine, item: Any) -> str:
    """Nix's coerceToPath: the text of a path or string, which must be absolute."""
    ctx: set[str] = set()
    text = coerce_to_string(m, item, ctx, copy_to_store_=False)
    if not text.startswith("/"):
        raise E.EvalError(f"string '{text}' doesn't represent an absolute path")
    return text


def real_path(m: Machine, item: Any) -> str:
    """The file a path value stands for here: store paths ci-eval computed (and the files
    below them) map back to the file or text they were made from (nothing is ever written
    to a store). Not yet checked for restricted mode: `Machine.check_path` is."""
    return source_of(m, coerce_to_path(m, item))


def source_of(m: Machine, path: str) -> str:
    """`path`, or the source a computed store path (or a path below one) was made from."""
    if path in m.store_texts:
        return path
    found = m.store_files.get(path)
    if found is not None:
        return found
    if path.startswith("/nix/store/"):
        pieces = path.split("/", 4)  # "", "nix", "store", "<hash>-<name>", the rest
        if len(pieces) == 5 and pieces[4]:
            root = m.store_files.get("/".join(pieces[:4]))
            if root is not None:
                return f"{root.rstrip('/')}/{pieces[4]}"
    return path


def _read_text(m: Machine, path: str) -> str:
    text = m.store_texts.get(path)
    if text is not None:
        return text
    try:
        data = Path(m.check_path(path)).read_bytes()
    except FileNotFoundError:
        raise E.NotFound(f"opening file '{path}': No such file or directory") from None
    except IsADirectoryError:
        raise E.EvalError(f"reading file '{path}': Is a directory") from None
    except OSError as err:
        raise E.EvalError(f"reading file '{path}': {err.strerror}") from None
    return data.decode("utf-8", "surrogateescape")


def import_file(m: Machine, path: str, extra: dict[str, Any] | None = None) -> Any:
    """Evaluate a file (a directory means its default.nix), cached unless `extra` scope."""
    from ..syntax.source import Source

    core = path.startswith(CORE_PACKAGES) and path not in m.store_texts
    if path not in m.store_texts and not core:
        checked = m.check_path(path)
        if os.path.isdir(checked):
            path = canon_path(path + "/default.nix")
        elif not os.path.lexists(checked):
            # What Nix 2.8's import says (readFile says "opening file").
            raise E.NotFound(f"getting status of '{path}': No such file or directory")
    if extra is None and path in m.import_cache:
        return m.import_cache[path]
    if core:
        return _import_core_package(m, path, extra)
    if path.endswith("/default.nix") and path not in m.store_texts:
        modelled = _nixpkgs_import(m, path[: -len("/default.nix")])
        if modelled is not None:
            m.import_cache[path] = modelled
            return modelled
    return _evaluate_source(m, Source(path, _read_text(m, path)), extra)


def _evaluate_source(m: Machine, source: Source, extra: dict[str, Any] | None) -> Any:
    """The value of a file's expression (kept for the next ``import`` of it, unless in an
    `extra` scope)."""
    from ..frontend import parse_checked

    path = source.name
    m.files_read.setdefault(path, source)
    expr, problems = parse_checked(source, extra_names=frozenset(extra or ()))
    if expr is None:
        raise E.ParseFailed(problems)
    env = m.file_env(source, os.path.dirname(path) or "/", extra)
    value = m.eval(expr, env)
    if extra is None:
        if path.endswith("/effects/default.nix") and path not in m.store_texts:
            value = _effects_library_import(m, path, value)
        m.import_cache[path] = value
    return value


# Where Nix 2.8 finds its built-in files ("corepkgs"): ``<nix/fetchurl.nix>`` is this
# path when no search path entry has it, and importing it evaluates Nix's own code,
# which ci-eval ships (nixeval/_data/corepkgs). No file is there on disk.
CORE_PACKAGES = "/__corepkgs__/"
_CORE_PACKAGES_DIR = Path(__file__).resolve().parent.parent / "_data" / "corepkgs"


def _import_core_package(m: Machine, path: str, extra: dict[str, Any] | None) -> Any:
    name = path[len(CORE_PACKAGES) :]
    shipped = _CORE_PACKAGES_DIR / name
    if "/" in name or not shipped.is_file():
        raise E.NotFound(f"getting status of '{path}': No such file or directory")
    from ..syntax.source import Source

    return _evaluate_source(m, Source(path, shipped.read_text(encoding="utf-8")), extra)


def _effects_library_import(m: Machine, path: str, value: Any) -> Any:
    """``import`` of hercules-ci-effects' ``effects/default.nix``: the library's own
    function, its effect functions watched (`nixeval.effects.library`)."""
    from ..effects.library import library_root, wrap_library

    root = library_root(m.check_path(path))
    return value if root is None else wrap_library(m, root, value)


def _nixpkgs_import(m: Machine, directory: str) -> Any:
    """``import`` of a nixpkgs source tree: the modelled ``import nixpkgs`` with the
    tree's real lib (nixpkgs is recognised, not evaluated: `nixeval.nixpkgs.model`)."""
    from ..sources.known import is_nixpkgs_tree

    if not is_nixpkgs_tree(m.check_path(directory)):
        return None
    from ..nixpkgs.model import nixpkgs_function, nixpkgs_lib

    return nixpkgs_function(m, nixpkgs_lib(m, directory))


@builtin("import", 1)
def import_(m: Machine, p: Any) -> Any:
    target = force(p)
    if type(target) is Attrs and "outPath" in target.items:
        target = force(target.items["outPath"])
    if type(target) is Unknown and target.model is not None:
        imported = target.model.imported(m)
        if imported is not None:
            return imported
    return import_file(m, real_path(m, p))


@builtin("scopedImport", 2)
def scoped_import(m: Machine, scope: Any, p: Any) -> Any:
    attrs = m.force_attrs(scope)
    return import_file(m, real_path(m, p), dict(attrs.items))


@builtin("readFile", 1)
def read_file(m: Machine, p: Any) -> str:
    path = real_path(m, p)
    text = _read_text(m, path)
    if "\0" in text:
        raise E.EvalError(
            f"the contents of the file '{path}' cannot be represented as a Nix string"
        )
    return text


@builtin("readDir", 1)
def read_dir(m: Machine, p: Any) -> Attrs:
    path = real_path(m, p)
    try:
        entries = list(os.scandir(m.check_path(path)))
    except FileNotFoundError:
        raise E.NotFound(f"opening directory '{path}': No such file or directory") from None
    except NotADirectoryError:
        raise E.EvalError(f"opening directory '{path}': Not a directory") from None
    kinds: dict[str, Any] = {}
    for entry in entries:
        if not m.access.is_tracked(entry.path):
            continue  # not in the flake's copy of its git repository
        mode = entry.stat(follow_symlinks=False).st_mode
        if stat.S_ISREG(mode):
            kind = "regular"
        elif stat.S_ISDIR(mode):
            kind = "directory"
        elif stat.S_ISLNK(mode):
            kind = "symlink"
        else:
            kind = "unknown"
        kinds[entry.name] = kind
    return Attrs(kinds)


@builtin("pathExists", 1)
def path_exists(m: Machine, p: Any) -> bool:
    path = coerce_to_path(m, p)
    if path in m.store_files or path in m.store_texts:
        return True
    if m.access.restricted:
        return m.access.exists(source_of(m, path))
    return os.path.lexists(source_of(m, path))


@builtin("toPath", 1)
def to_path(m: Machine, p: Any) -> str:
    ctx: set[str] = set()
    text = coerce_to_string(m, p, ctx, copy_to_store_=False)
    if not text.startswith("/"):
        raise E.EvalError(f"string '{text}' doesn't represent an absolute path")
    return string_with_context(canon_path(text), ctx)


@builtin("hashFile", 2)
def hash_file(m: Machine, algo: Any, p: Any) -> str:
    name = m.force_string_no_ctx(algo)
    if name not in _HASHES:
        raise E.EvalError(f"unknown hash algorithm '{name}'")
    path = real_path(m, p)
    text = m.store_texts.get(path)
    if text is not None:
        return _HASHES[name](text.encode("utf-8", "surrogateescape")).hexdigest()
    try:
        return _HASHES[name](Path(m.check_path(path)).read_bytes()).hexdigest()
    except OSError as err:
        raise E.NotFound(f"opening file '{path}': {err.strerror}") from None


# --- the search path ------------------------------------------------------------------------


@constant("nixPath")
def nix_path(m: Machine) -> list[Any]:
    return [Attrs({"path": path, "prefix": prefix}) for prefix, path in m.search_path]


def find_file(m: Machine, entries: list[tuple[str, str]], name: str) -> str:
    """Nix's EvalState::findFile: the first entry whose prefix matches and file exists."""
    for prefix, root in entries:
        if not prefix:
            suffix = "/" + name
        else:
            if not name.startswith(prefix) or (
                len(name) > len(prefix) and name[len(prefix)] != "/"
            ):
                continue
            suffix = "" if len(name) == len(prefix) else "/" + name[len(prefix) + 1 :]
        candidate = root + suffix
        # Restricted, a forbidden candidate is an error even if it does not exist: its
        # existence is not for untrusted code to learn. (Nix 2.8 looks first.)
        if os.path.lexists(m.check_path(candidate)):
            return canon_path(candidate)
    if name.startswith("nix/"):
        return CORE_PACKAGES + name[len("nix/") :]
    if m.unknowns:
        raise _NotOnSearchPath(name)
    raise E.Thrown(
        f"file '{name}' was not found in the Nix search path (add it using $NIX_PATH or -I)"
    )


class _NotOnSearchPath(Exception):
    """Offline, a <name> no search path entry has is an unknown, not an error."""

    def __init__(self, name: str) -> None:
        self.name = name


@builtin("findFile", 2)
def find_file_(m: Machine, search: Any, name: Any) -> Any:
    entries: list[tuple[str, str]] = []
    for element in m.force_list(search):
        spec = m.force_attrs(element)
        prefix = m.force_string_no_ctx(spec.items["prefix"]) if "prefix" in spec.items else ""
        if "path" not in spec.items:
            raise E.MissingAttribute("attribute 'path' missing")
        path = coerce_to_string(m, spec.items["path"], set(), copy_to_store_=False)
        entries.append((prefix, path))
    wanted = m.force_string_no_ctx(name)
    try:
        return NixPath(find_file(m, entries, wanted))
    except _NotOnSearchPath:
        from ..nixpkgs.model import search_path_model

        return Unknown(f"<{wanted}>", model=search_path_model(wanted))


# --- the (store-free) store -----------------------------------------------------------------


@builtin("toFile", 2)
def to_file(m: Machine, name: Any, contents: Any) -> str:
    from ..store import StoreError

    file_name = m.force_string_no_ctx(name)
    text = m.force_string(contents)
    try:
        path = m.derivations.to_file(file_name, str(text), context_of(text))
    except StoreError as err:
        raise E.EvalError(err.message) from None
    m.store_texts[path] = str(text)
    return CStr(path, frozenset([path]))


@builtin("placeholder", 1)
def placeholder(m: Machine, output: Any) -> str:
    from ..store import hash_placeholder

    return hash_placeholder(m.force_string_no_ctx(output))


@builtin("storePath", 1)
def store_path(m: Machine, p: Any) -> str:
    path = coerce_to_path(m, p)
    if not path.startswith("/nix/store/"):
        raise E.EvalError(f"path '{path}' is not in the Nix store")
    store_path_ = "/".join(path.split("/")[:4])
    return CStr(path, frozenset([store_path_]))


def add_path(
    m: Machine, path: str, name: str, recursive: bool, filter_fn: Any, sha256: str | None
) -> str:
    """builtins.path and filterSource: the store path the (filtered) tree would get."""
    from ..store import StoreError, source_path

    def keep(entry: Path, kind: str) -> bool:
        result = m.call(m.call(filter_fn, str(entry)), kind)
        return m.force_bool(result)

    # As copy_to_store: restricted, the resolved path is what is hashed.
    checked = m.check_path(path)
    if not os.path.lexists(checked):
        raise E.EvalError(f"getting status of '{path}': No such file or directory")
    try:
        computed = source_path(
            Path(checked),
            name,
            recursive=recursive,
            filter=keep if filter_fn is not None else None,
            expected_hash=sha256,
        )
    except StoreError as err:
        raise E.EvalError(err.message) from None
    m.store_files[computed] = path
    return CStr(computed, frozenset([computed]))


@builtin("path", 1)
def path_(m: Machine, args: Any) -> str:
    spec = m.force_attrs(args)
    if "path" not in spec.items:
        raise E.MissingAttribute("'path' required")
    path = coerce_to_path(m, spec.items["path"])
    name = (
        m.force_string_no_ctx(spec.items["name"])
        if "name" in spec.items
        else os.path.basename(path.rstrip("/"))
    )
    filter_fn = force(spec.items["filter"]) if "filter" in spec.items else None
    recursive = m.force_bool(spec.items["recursive"]) if "recursive" in spec.items else True
    sha256 = m.force_string_no_ctx(spec.items["sha256"]) if "sha256" in spec.items else None
    for key in spec.names():
        if key not in ("path", "name", "filter", "recursive", "sha256"):
            raise E.EvalError(f"unsupported argument '{key}' to 'addPath'")
    return add_path(m, path, name, recursive, filter_fn, sha256)


@builtin("filterSource", 2)
def filter_source(m: Machine, f: Any, p: Any) -> str:
    path = coerce_to_path(m, p)
    return add_path(m, path, os.path.basename(path.rstrip("/")), True, force(f), None)
