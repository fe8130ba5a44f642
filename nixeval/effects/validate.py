"""Check effect description documents against ``schemas/description.schema.json``.

The document schema dispatches each entry of ``effects`` on its ``function`` to one schema
per effect function (``effect-<function>.schema.json``, `schema_for_function`); the shared
definitions are in ``effect-common.schema.json``. All the schemas of the schemas directory
are loaded into one `referencing.Registry`, so ``$ref`` finds them by ``$id`` and nothing
is fetched.

`validate_document` reports one problem for the document's own keys and one per effect:
jsonschema's `best_match` of that part's errors, located by a JSON pointer (RFC 6901). For
an unexpected key (``additionalProperties``, ``propertyNames``) the pointer names the key
itself, so the describe code can map it back to the argument's span in the ``.nix`` file.

jsonschema is imported on first use only: ``ci-eval --parse`` must not pay for it, and
neither does a valid document that `schema_validity` finds surely valid (the usual case):
only a document it cannot vouch for is validated by jsonschema, which words the problems.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..records import Record

if TYPE_CHECKING:
    from .schema_validity import Schemas

__all__ = [
    "DOCUMENT_SCHEMA",
    "EFFECT_FUNCTIONS",
    "NOT_MODELLED_FUNCTIONS",
    "SchemaProblem",
    "schema_for_function",
    "schemas_directory",
    "validate_document",
]

#: The schema of a whole description document.
DOCUMENT_SCHEMA = "description.schema.json"

#: The effect functions ci-eval models, each with its own schema.
MODELLED_FUNCTIONS: tuple[str, ...] = (
    "runCachixDeploy",
    "runNixOps",
    "runNixOps2",
    "mkEffect",
    "modularEffect",
)
#: The rest of the family: described without their scripts, by effect-notModelled.
NOT_MODELLED_FUNCTIONS: tuple[str, ...] = (
    "runNixOS",
    "runNixDarwin",
    "runArion",
    "gitWriteBranch",
    "flakeUpdate",
    "netlifyDeploy",
    "cargoPublish",
    "runPutUrl",
    "modularEffectWithUserModule",
    # An effect that is a plain derivation with isEffect = true, made without the library.
    "derivation",
)
#: Every value an effect's ``function`` may have.
EFFECT_FUNCTIONS: tuple[str, ...] = MODELLED_FUNCTIONS + NOT_MODELLED_FUNCTIONS

_SUFFIX = ".schema.json"
#: Longer jsonschema messages (they quote the offending instance) are cut here.
_MESSAGE_LIMIT = 300


class SchemaProblem(Record):
    """A place where a description does not match its schema.

    ``pointer`` is a JSON pointer into the document (``/effects/0/details/action``; ``""``
    for the document itself), ``schema`` the file name of the schema that applies there
    (the effect's function schema inside an effect, else the document schema).
    """

    pointer: str
    message: str
    schema: str


def schemas_directory() -> Path:
    """Where the schemas are, in a checkout or an installed wheel."""
    return Path(__file__).resolve().parent.parent / "_data" / "schemas"


def schema_for_function(function: str) -> str:
    """The file name of the schema for effects made by ``function``.

    >>> schema_for_function("runNixOps")
    'effect-runNixOps.schema.json'
    >>> schema_for_function("gitWriteBranch")
    'effect-notModelled.schema.json'
    """
    if function in MODELLED_FUNCTIONS:
        return f"effect-{function}{_SUFFIX}"
    if function in NOT_MODELLED_FUNCTIONS:
        return f"effect-notModelled{_SUFFIX}"
    raise ValueError(f"no effect function named {function!r}")


def validate_document(document: Mapping[str, Any]) -> list[SchemaProblem]:
    """Validate a description document; no problems means it is valid.

    The problems come in document order: the document's own keys first, then one per
    invalid effect, by index.
    """
    if _quick().surely_valid(document, DOCUMENT_SCHEMA):
        return []
    jsonschema = importlib.import_module("jsonschema")
    # Among errors at one place, an unexpected key (often a misspelt one) says more than
    # the required key it was probably meant to be.
    relevance = jsonschema.exceptions.by_relevance(strong=frozenset({"additionalProperties"}))
    groups: dict[tuple[int, ...], list[Any]] = {}
    for error in _validator().iter_errors(document):
        groups.setdefault(_group(error), []).append(error)
    problems = []
    for key in sorted(groups):
        best = jsonschema.exceptions.best_match(groups[key], key=relevance)
        path: list[str | int] = list(best.absolute_path)
        unexpected = _unexpected_key(best, _at(document, path))
        if unexpected is not None:
            path.append(unexpected)
        problems.append(
            SchemaProblem(
                _pointer(path), _message(best, unexpected), _schema_in_group(document, key)
            )
        )
    return problems


# --------------------------------------------------------------------------------------


@functools.cache
def _schemas() -> dict[str, Any]:
    """Every shipped schema, by file name."""
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(schemas_directory().glob(f"*{_SUFFIX}"))
    }


@functools.cache
def _quick() -> Schemas:
    """The quick validity test (`schema_validity.Schemas`) of the shipped schemas."""
    from .schema_validity import Schemas

    return Schemas(_schemas())


@functools.cache
def _validator() -> Any:
    """The document validator, with every shipped schema registered by its ``$id``."""
    # import_module: mypy --strict passes without jsonschema's type stubs.
    jsonschema = importlib.import_module("jsonschema")
    from referencing import Registry, Resource

    schemas = _schemas()
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    return jsonschema.Draft202012Validator(schemas[DOCUMENT_SCHEMA], registry=registry)


def _group(error: Any) -> tuple[int, ...]:
    """``()`` for the document's own keys, ``(i,)`` for anything inside effect ``i``."""
    path = list(error.absolute_path)
    if len(path) >= 2 and path[0] == "effects" and isinstance(path[1], int):
        return (path[1],)
    return ()


def _schema_in_group(document: Mapping[str, Any], key: tuple[int, ...]) -> str:
    if not key:
        return DOCUMENT_SCHEMA
    effect = document["effects"][key[0]]
    function = effect.get("function") if isinstance(effect, dict) else None
    if isinstance(function, str) and function in EFFECT_FUNCTIONS:
        return schema_for_function(function)
    return DOCUMENT_SCHEMA


def _pointer(path: Iterable[str | int]) -> str:
    """RFC 6901: ``~`` and ``/`` in a key are escaped as ``~0`` and ``~1``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _unexpected_key(error: Any, instance: object) -> str | None:
    """The first key of ``instance`` (an object) that the failing keyword does not allow."""
    if not isinstance(instance, dict):
        return None
    if error.validator == "additionalProperties" and error.validator_value is False:
        schema = error.schema
        known = schema.get("properties", {})
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        for key in instance:
            if key not in known and not any(p.search(key) for p in patterns):
                return str(key)
    # propertyNames checks each key as an instance of its own, at the object's path.
    in_property_names = "propertyNames" in error.relative_schema_path
    if in_property_names and isinstance(error.instance, str) and error.instance in instance:
        return str(error.instance)
    return None


def _at(document: Mapping[str, Any], path: Iterable[str | int]) -> object:
    node: object = document
    for step in path:
        if isinstance(node, dict) and isinstance(step, str):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return None
    return node


def _message(error: Any, unexpected: str | None) -> str:
    # A failed oneOf/anyOf says "<the whole instance> is not valid under any of the given
    # schemas"; the schema's own description says what was expected instead.
    if error.validator in ("oneOf", "anyOf") and isinstance(error.schema, dict):
        description = error.schema.get("description")
        if isinstance(description, str):
            return description
    message: str = error.message
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 1] + "…"
    suggestion = _suggestion(error, unexpected)
    return f"{message} (did you mean {suggestion!r}?)" if suggestion else message


def _suggestion(error: Any, unexpected: str | None) -> str | None:
    """A likely intended name for a misspelt key or enum value."""
    from ..spelling import closest

    if unexpected is not None and error.validator == "additionalProperties":
        return closest(unexpected, error.schema.get("properties", {}))
    if error.validator == "enum" and isinstance(error.instance, str):
        return closest(error.instance, [v for v in error.validator_value if isinstance(v, str)])
    return None


def deploy_problems(document: object) -> list[str]:
    """Why `document` is not a valid deploy.json (``deploy.schema.json``), one message per
    problem, in document order; none when it is valid."""
    from .schema_validity import Schemas

    schema = json.loads((schemas_directory() / "deploy.schema.json").read_text(encoding="utf-8"))
    # Alone, as jsonschema validates it below: no $ref to the other schemas.
    if Schemas({"deploy.schema.json": schema}).surely_valid(document, "deploy.schema.json"):
        return []
    jsonschema = importlib.import_module("jsonschema")
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(
        validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]
    ):
        unexpected = _unexpected_key(error, _at(document, list(error.absolute_path)))  # type: ignore[arg-type]
        where = _pointer([*error.absolute_path, *([unexpected] if unexpected else [])])
        problems.append(f"{_message(error, unexpected)}" + (f" (at {where})" if where else ""))
    return problems
