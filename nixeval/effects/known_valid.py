"""Description documents known to be valid, remembered on disk between processes.

A pre-commit hook or an editor runs a main job or ``check`` again and again on an
unchanged project, whose descriptions are the same document each time: once one has been
found valid, the next process need not validate it again. Most valid documents are found
so by the quick test of `schema_validity` (a few ms: reading the schemas, walking the
document), the rest by jsonschema (about a third of a cold run, to import it); either
way an entry spares the next run both.

An entry of ci-eval's cache's ``valid/`` directory says that one document is valid under
one validator. It is named by the SHA-256 of everything the outcome depends on
(`_validator_stamp`: the bytes of every schema file, the versions of jsonschema and the
libraries it resolves ``$ref`` with; then the document's canonical JSON), and holds that
name: a changed document, schema or jsonschema is a new entry, and an entry that does not
hold its own name (truncated, planted, corrupt) is ignored. Only valid outcomes are kept,
so an invalid document is validated, and its problems reported, every time. Deleting the
directory is always safe.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import validate
from .validate import SchemaProblem

__all__ = ["validate_remembered"]

# jsonschema and the libraries whose code decides what it finds valid.
_VALIDATOR_PACKAGES = ("jsonschema", "referencing", "jsonschema_specifications")
_SUFFIX = ".valid"


def validate_remembered(document: Mapping[str, Any], cache: Path) -> list[SchemaProblem]:
    """`validate.validate_document`'s problems of `document`; a document found valid is
    remembered in ``cache/valid`` and not validated again."""
    entry = _entry(document, cache / "valid")
    if entry is not None and _holds_its_name(entry):
        return []
    problems = validate.validate_document(document)
    if not problems and entry is not None:
        _remember(entry)
    return problems


def _entry(document: Mapping[str, Any], directory: Path) -> Path | None:
    """The entry of `document`, or None where its outcome cannot be remembered: the
    validator's version is not known, or the document is not plain JSON (a tuple, a
    non-string key or NaN could read back the same JSON text as a document that
    validates differently)."""
    stamp = _validator_stamp()
    if stamp is None:
        return None
    try:
        text = json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        if json.loads(text) != document:
            return None
    except (TypeError, ValueError, RecursionError):
        return None
    digest = hashlib.sha256(stamp.encode())
    digest.update(text.encode("utf-8", "surrogatepass"))
    return directory / (digest.hexdigest() + _SUFFIX)


def _holds_its_name(entry: Path) -> bool:
    try:
        return entry.read_bytes() == entry.name.encode()
    except OSError:
        return False


def _remember(entry: Path) -> None:
    """Write `entry` whole or not at all; silently not when the cache cannot be written
    (a read-only home, a full disk)."""
    import tempfile  # only a run that validated writes an entry (and it loads random)

    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, suffix=".partial")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(entry.name.encode())
            os.replace(temporary, entry)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass


@functools.cache
def _validator_stamp() -> str | None:
    """What a document's validity depends on besides the document: the schema files'
    names and bytes, and the installed versions of `_VALIDATOR_PACKAGES`. None when a
    version cannot be told without importing the package (an unusual installation)."""
    digest = hashlib.sha256()
    for package in _VALIDATOR_PACKAGES:
        version = _installed_version(package)
        if version is None:
            return None
        digest.update(f"{package} {version}\0".encode())
    for path in sorted(validate.schemas_directory().glob("*.schema.json")):
        data = path.read_bytes()
        digest.update(f"{path.name} {len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _installed_version(package: str) -> str | None:
    """The version in the name of the ``<package>-<version>.dist-info`` directory beside
    where `package` would be imported from, as pip installs it. Found without importing
    the package (or ``importlib.metadata``, itself slower to import than what it saves)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    where = Path(next(iter(spec.submodule_search_locations))).parent
    prefix = f"{package}-"
    try:
        found = [
            name[len(prefix) : -len(".dist-info")]
            for name in os.listdir(where)
            if name.startswith(prefix) and name.endswith(".dist-info")
        ]
    except OSError:
        return None
    return found[0] if len(found) == 1 else None
