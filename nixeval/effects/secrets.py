"""The Hercules CI agent's ``secrets.json`` and its condition language (hercules-effects.md §7).

A secrets file maps a secret name to ``{"kind": "Secret", "data": {…}, "condition": …}``.
An effect's ``secretsMap`` maps a local name to such a secret name; the agent grants the
secret only if it exists, has a condition, and the condition holds for the job (`grant`).

Parsing follows the agent (``Hercules.Formats.Secret``): the checks run in its order
(``kind``, then ``apiVersion``, then ``data``, then ``condition``) and fail with its
messages; aeson's own type errors are rendered in aeson's wording. The JSON Schema
``schemas/secrets.schema.json`` is checked as well, so the two cannot drift silently.

Nothing of the file's content appears in an error message or a repr, only secret and
field names and places (a wrong ``kind`` is not quoted as the agent quotes it: it may be a
pasted token). The file is read as a sensitive `Source` (`read_secrets_source`), which
diagnostics point into and never print; only a regular file of at most 16 MiB is read.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias, assert_never

from ..syntax.source import Source
from .pretend import Pretend
from .secrets_path import local_secrets_path, repository_secrets_path

__all__ = [
    "CONDITION_FIELDS",
    "And",
    "Condition",
    "ConditionError",
    "Const",
    "IsBranch",
    "IsDefaultBranch",
    "IsOwner",
    "IsRepo",
    "IsTag",
    "Or",
    "Pretend",
    "Secret",
    "SecretsError",
    "condition_holds",
    "condition_to_json",
    "decode_secrets",
    "evaluate_condition",
    "grant",
    "json_pointer",
    "load_secrets",
    "local_secrets_path",
    "locate_error",
    "parse_condition",
    "parse_secrets",
    "read_secrets_source",
    "repository_secrets_path",
    "schema_path",
    "uses_default_branch",
]

SCHEMA_NAME = "secrets.schema.json"

#: The field names a Condition object may have, in the order the agent's message lists them.
CONDITION_FIELDS: tuple[str, ...] = ("and", "or", "isBranch", "isRepo", "isOwner")
#: The strings that are Conditions.
CONDITION_STRINGS: tuple[str, ...] = ("isDefaultBranch", "isTag")


# --------------------------------------------------------------------------------------
# Conditions


@dataclass(frozen=True)
class And:
    """``{"and": [c…]}``: every condition holds; the empty list holds."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    """``{"or": [c…]}``: some condition holds; the empty list does not."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class IsDefaultBranch:
    """``"isDefaultBranch"``: the job is from the repository's default branch."""


@dataclass(frozen=True)
class IsTag:
    """``"isTag"``: the job's ref starts with ``refs/tags/``."""


@dataclass(frozen=True)
class IsBranch:
    """``{"isBranch": b}``: the job's ref is exactly ``refs/heads/<b>``."""

    name: str


@dataclass(frozen=True)
class IsRepo:
    """``{"isRepo": r}``: the repository name is exactly ``r``."""

    name: str


@dataclass(frozen=True)
class IsOwner:
    """``{"isOwner": o}``: the repository owner (user or organisation) is exactly ``o``."""

    name: str


@dataclass(frozen=True)
class Const:
    """``true`` / ``false``: always allow / always deny."""

    value: bool


Condition: TypeAlias = And | Or | IsDefaultBranch | IsTag | IsBranch | IsRepo | IsOwner | Const


class ConditionError(ValueError):
    """A value that is not a Condition; ``pointer`` is a JSON pointer relative to that value."""

    def __init__(self, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer

    def __str__(self) -> str:
        return self.message


def _aeson_type(value: object) -> str:
    """The name aeson gives a JSON value's type in "expected …, but encountered X"."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


def _pointer_token(key: str | int) -> str:
    return "/" + str(key).replace("~", "~0").replace("/", "~1")


def json_pointer(*keys: str | int) -> str:
    """The JSON pointer (RFC 6901) of a path of keys, e.g. ``/a~1b/condition``."""
    return "".join(_pointer_token(k) for k in keys)


def _unescape_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def parse_condition(value: object) -> Condition:
    """Read a JSON value (as ``json.loads`` returns it) as a Condition, like the agent does."""
    if isinstance(value, bool):
        return Const(value)
    if isinstance(value, str):
        if value == "isDefaultBranch":
            return IsDefaultBranch()
        if value == "isTag":
            return IsTag()
        # The agent's wording for an unknown string could not be checked; this one names
        # the valid strings and, like its other messages, does not echo the input.
        raise ConditionError(
            "A Condition string must be one of " + ", ".join(CONDITION_STRINGS) + "."
        )
    if isinstance(value, dict):
        if not value:
            raise ConditionError("The empty object does not represent a Condition.")
        if len(value) > 1:
            raise ConditionError("A Condition object must contain a single field.")
        ((key, arg),) = value.items()
        where = _pointer_token(key)
        if key in ("and", "or"):
            if not isinstance(arg, list):
                raise ConditionError(
                    f"parsing [] failed, expected Array, but encountered {_aeson_type(arg)}", where
                )
            items: list[Condition] = []
            for i, item in enumerate(arg):
                try:
                    items.append(parse_condition(item))
                except ConditionError as e:
                    raise ConditionError(e.message, where + _pointer_token(i) + e.pointer) from None
            return And(tuple(items)) if key == "and" else Or(tuple(items))
        if key in ("isBranch", "isRepo", "isOwner"):
            if not isinstance(arg, str):
                raise ConditionError(
                    f"parsing Text failed, expected String, but encountered {_aeson_type(arg)}",
                    where,
                )
            if key == "isBranch":
                return IsBranch(arg)
            return IsRepo(arg) if key == "isRepo" else IsOwner(arg)
        raise ConditionError(
            "The field name in a Condition object must be one of "
            + ", ".join(CONDITION_FIELDS)
            + "."
        )
    raise ConditionError("Expected Object, String or true.")


def condition_to_json(c: Condition) -> object:
    """The JSON form of a Condition (the inverse of `parse_condition`)."""
    match c:
        case And(conditions):
            return {"and": [condition_to_json(x) for x in conditions]}
        case Or(conditions):
            return {"or": [condition_to_json(x) for x in conditions]}
        case IsDefaultBranch():
            return "isDefaultBranch"
        case IsTag():
            return "isTag"
        case IsBranch(name):
            return {"isBranch": name}
        case IsRepo(name):
            return {"isRepo": name}
        case IsOwner(name):
            return {"isOwner": name}
        case Const(value):
            return value
        case _:
            assert_never(c)


def evaluate_condition(c: Condition, pretend: Pretend) -> bool:
    """Whether ``c`` holds for the job ``pretend``, with the agent's semantics.

    ``isDefaultBranch`` is False when the default branch is unknown (see
    `uses_default_branch` to decide whether to warn about that).
    """
    match c:
        case And(conditions):
            return all(evaluate_condition(x, pretend) for x in conditions)
        case Or(conditions):
            return any(evaluate_condition(x, pretend) for x in conditions)
        case IsDefaultBranch():
            return pretend.is_default_branch is True
        case IsTag():
            return pretend.ref is not None and pretend.ref.startswith("refs/tags/")
        case IsBranch(name):
            return pretend.ref == "refs/heads/" + name
        case IsRepo(name):
            return pretend.repo == name
        case IsOwner(name):
            return pretend.owner == name
        case Const(value):
            return value
        case _:
            assert_never(c)


def condition_holds(c: Condition, pretend: Pretend) -> bool | None:
    """Like `evaluate_condition`, but None when the answer depends on what ``pretend``
    does not know (the repository, its owner or default branch): three-valued, so
    ``{"and": [false, {"isOwner": "?"}]}`` is still False."""
    match c:
        case And(conditions) | Or(conditions):
            results = [condition_holds(x, pretend) for x in conditions]
            decisive = isinstance(c, Or)  # True decides an `or`, False an `and`
            if decisive in results:
                return decisive
            return None if None in results else not decisive
        case IsDefaultBranch():
            return pretend.is_default_branch
        case IsRepo(name):
            return None if pretend.repo is None else pretend.repo == name
        case IsOwner(name):
            return None if pretend.owner is None else pretend.owner == name
        case IsTag() | IsBranch() | Const():
            return evaluate_condition(c, pretend)
        case _:
            assert_never(c)


def uses_default_branch(c: Condition) -> bool:
    """Whether ``c`` mentions ``isDefaultBranch`` anywhere (so its result may need a caveat)."""
    match c:
        case And(conditions) | Or(conditions):
            return any(uses_default_branch(x) for x in conditions)
        case IsDefaultBranch():
            return True
        case IsTag() | IsBranch() | IsRepo() | IsOwner() | Const():
            return False
        case _:
            assert_never(c)


# --------------------------------------------------------------------------------------
# secrets.json


class SecretsError(ValueError):
    """A secrets.json problem or a denied secret.

    ``pointer`` is a JSON pointer (RFC 6901) into the secrets file ("" is the whole file);
    ``source`` names the file when known; ``file`` is its text when it was read (a
    sensitive `Source`: diagnostics may point into it, never quote it) and ``offset`` the
    place of the problem in it. ``str()`` is the message alone. Messages are made of the
    file's structure only (secret and field names, JSON types, positions), never of a value
    in it: a kind, a condition or a data string may be a pasted token.
    """

    def __init__(
        self,
        message: str,
        pointer: str = "",
        source: str | None = None,
        offset: int | None = None,
        file: Source | None = None,
    ) -> None:
        super().__init__(message, pointer)
        self.message = message
        self.pointer = pointer
        self.source = source
        self.offset = offset
        self.file = file

    def where(self) -> str | None:
        """``path:line:column`` of the problem, when the file was read."""
        if self.file is None or self.offset is None:
            return None
        pos = self.file.position(self.offset)
        return f"{self.file.name}:{pos.line}:{pos.column}"

    def what(self) -> str | None:
        """Which secret and field the problem is in (from the pointer), e.g. ``secret
        'deploy', field condition/or/1``; None for the file as a whole."""
        if not self.pointer:
            return None
        name, *path = [_unescape_token(t) for t in self.pointer.split("/")[1:]]
        return f"secret '{name}'" + (f", field {'/'.join(path)}" if path else "")

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"SecretsError({self.message!r}, {self.pointer!r}, source={self.source!r})"


_REDACTED = "<redacted>"


@dataclass(frozen=True)
class Secret:
    """One secret: its name, its ``data`` (the secret values) and its condition (None when
    the file has none, which agents >= 0.9 treat as "deny").

    The repr shows ``data``'s keys but never its values.
    """

    name: str
    data: dict[str, Any] = field(hash=False)
    condition: Condition | None

    def __repr__(self) -> str:
        keys = ", ".join(f"{k!r}: {_REDACTED}" for k in self.data)
        return f"Secret(name={self.name!r}, data={{{keys}}}, condition={self.condition!r})"

    __str__ = __repr__


def schema_path() -> Path:
    """Where ``secrets.schema.json`` is, in a checkout or an installed wheel."""
    return Path(__file__).resolve().parent.parent / "_data" / "schemas" / SCHEMA_NAME


def _parse_secret(name: str, value: object, where: str) -> Secret:
    if not isinstance(value, dict):
        raise SecretsError(
            f"parsing Secret failed, expected Object, but encountered {_aeson_type(value)}", where
        )
    if "kind" not in value:
        raise SecretsError('key "kind" not found', where)
    kind = value["kind"]
    if not isinstance(kind, str):
        raise SecretsError(
            f"parsing Text failed, expected String, but encountered {_aeson_type(kind)}",
            where + "/kind",
        )
    if kind != "Secret":
        # The agent's message goes on ", not <the kind>": not shown, it may be a value.
        raise SecretsError('kind field must be "Secret"', where + "/kind")
    if "apiVersion" in value:
        raise SecretsError("Unexpected apiVersion field.", where + "/apiVersion")
    if "data" not in value:
        raise SecretsError('key "data" not found', where)
    data = value["data"]
    if not isinstance(data, dict):
        raise SecretsError(
            f"parsing Map failed, expected Object, but encountered {_aeson_type(data)}",
            where + "/data",
        )
    condition: Condition | None = None
    # aeson's `.:?` reads a null condition as an absent one.
    if value.get("condition") is not None:
        try:
            condition = parse_condition(value["condition"])
        except ConditionError as e:
            raise SecretsError(e.message, where + "/condition" + e.pointer) from None
    return Secret(name=name, data=data, condition=condition)


def _schema_check(data: object) -> None:
    """Validate against secrets.schema.json; report the first error without its instance
    (jsonschema's own messages quote the offending value, which may be a secret)."""
    from .schema_validity import Schemas

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    # A file surely valid needs no jsonschema (alone, as jsonschema validates it below).
    if Schemas({SCHEMA_NAME: schema}).surely_valid(data, SCHEMA_NAME):
        return
    # Imported lazily (only a file the quick test cannot vouch for pays for it), and through
    # import_module so that mypy --strict passes with or without jsonschema's type stubs.
    jsonschema: Any = importlib.import_module("jsonschema")
    validator = jsonschema.Draft202012Validator(schema)
    err = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if err is not None:
        pointer = "".join(_pointer_token(p) for p in err.absolute_path)
        raise SecretsError(
            f"does not match the secrets.json schema ({err.validator} at "
            f"{'/'.join(str(p) for p in err.absolute_schema_path)})",
            pointer,
        )


def parse_secrets(data: object, source_name: str) -> dict[str, Secret]:
    """Read the JSON value of a secrets.json (as ``json.loads`` returns it).

    Raises `SecretsError` (with ``source = source_name``) at the first problem, in the
    agent's order and wording; then checks the JSON Schema too.
    """
    try:
        if not isinstance(data, dict):
            raise SecretsError(
                f"parsing Map failed, expected Object, but encountered {_aeson_type(data)}", ""
            )
        secrets = {
            name: _parse_secret(name, value, _pointer_token(name)) for name, value in data.items()
        }
        _schema_check(data)
    except SecretsError as e:
        e.source = source_name
        raise
    return secrets


#: The largest secrets file read: a real one is a few KiB, and a bigger one (or
#: ``/dev/zero``) must end in an error, not in memory exhaustion.
MAX_SECRETS_BYTES = 16 * 1024 * 1024


def read_secrets_source(path: str | os.PathLike[str]) -> Source:
    """The text of a secrets file, as a sensitive `Source`.

    Only a regular file of at most `MAX_SECRETS_BYTES` is read: a FIFO, a device or a
    directory is refused at once (opened without blocking, so a FIFO nobody writes to does
    not hang). Raises `SecretsError`; a file that is not UTF-8 is one at the first bad byte.
    """
    from ..frontend import NotAFile, TooLarge, read_regular_file

    name = str(path)
    try:
        raw = read_regular_file(path, MAX_SECRETS_BYTES)
    except NotAFile as e:
        what = "a directory" if e.kind == "a directory" else "not a regular file"
        raise SecretsError(f"it is {what}", "", name) from None
    except TooLarge:
        raise SecretsError(
            f"it is larger than {MAX_SECRETS_BYTES // 2**20} MiB", "", name
        ) from None
    except FileNotFoundError:
        raise SecretsError("no such file", "", name) from None
    except OSError as e:
        raise SecretsError(f"cannot read it: {e.strerror}", "", name) from None
    try:
        return Source(name, raw.decode("utf-8"), sensitive=True)
    except UnicodeDecodeError as e:
        # Not the codec's message: it quotes the offending byte.
        text = raw.decode("utf-8", "replace")
        offset = len(raw[: e.start].decode("utf-8", "replace"))
        file = Source(name, text, sensitive=True)
        raise SecretsError("invalid JSON: not UTF-8", "", name, offset, file) from None


def decode_secrets(file: Source) -> object:
    """The JSON value of a secrets file's text; `SecretsError` at the place it is not JSON."""

    def fail(message: str, offset: int = 0) -> SecretsError:
        return SecretsError(f"invalid JSON: {message}", "", file.name, offset, file)

    try:
        return json.loads(file.text)
    except json.JSONDecodeError as e:
        # The message up to any ':' (some versions of the decoder go on to quote the
        # text); the position is the error's place.
        raise fail(e.msg.partition(":")[0].removesuffix(" at"), e.pos) from None
    except RecursionError:
        raise fail("nested too deeply") from None
    except ValueError:  # a number of more digits than Python converts
        raise fail("a number is too long") from None


def locate_error(e: SecretsError, file: Source) -> SecretsError:
    """`e` with the place its pointer names in `file` (a secrets file that is valid JSON)."""
    from ..execution.load import locate

    e.file, e.source = file, file.name
    if e.offset is None:
        try:
            e.offset = locate(file.text, e.pointer)
        except (ValueError, IndexError, RecursionError):
            e.offset = 0
    return e


def load_secrets(path: str | os.PathLike[str]) -> dict[str, Secret]:
    """Read and check a secrets.json file; a `SecretsError` has its place in the file."""
    file = read_secrets_source(path)
    data = decode_secrets(file)
    try:
        return parse_secrets(data, file.name)
    except SecretsError as e:
        raise locate_error(e, file) from None
    except RecursionError:
        raise SecretsError("a condition is nested too deeply", "", file.name, 0, file) from None


def grant(secrets: Mapping[str, Secret], name: str, pretend: Pretend, local_name: str) -> Secret:
    """The agent's strict rule: the secret ``name`` (``secretsMap.<local_name>``) is granted
    only if it exists, has a condition, and the condition holds for ``pretend``."""
    secret = secrets.get(name)
    if (
        secret is None
        or secret.condition is None
        or not evaluate_condition(secret.condition, pretend)
    ):
        raise SecretsError(
            f"Secret {name} does not exist or access was denied, so we can't get a secret "
            f"for {local_name}. Please make sure that the secret name matches a secret on "
            "your agents and make sure that its condition applies.",
            _pointer_token(name) if secret is not None else "",
        )
    return secret
