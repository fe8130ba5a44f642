"""A quick test that a document is valid under ci-eval's own JSON Schemas, tried before
jsonschema.

Importing jsonschema and validating with it costs most of a first ``check`` or main job
(about 50 ms to import, 10-20 ms a document). `Schemas.surely_valid` answers the one
question a valid project asks, "is this document valid?", for exactly the draft 2020-12
keywords the shipped schemas use, and for nothing else: it says True only when
jsonschema's ``Draft202012Validator`` with the same schemas finds the document valid too.
Anything it does not fully implement (another keyword, ``format``, a ``$ref`` it cannot
resolve in the schemas given, a pattern whose meaning might differ between ECMA-262 and
Python's ``re``, a value that is not plain JSON) makes it answer False, "don't know";
the caller then validates with jsonschema, which finds the problems and words them.

Inside, each schema answers True (valid), False (invalid) or None (don't know) for an
instance. ``not``, ``if`` and ``oneOf`` turn "invalid" into "valid", so a False must be
as sure as a True; None is always a safe answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["DRAFT_2020_12", "Schemas"]

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

#: Valid, invalid, or don't know.
Answer = bool | None
#: The check of one keyword: (schemas, instance, its kind, keyword's value, schema, base).
_Check = Callable[..., Answer]

# Keywords that say nothing about validity.
_ANNOTATIONS = frozenset({"title", "description", "examples", "default", "$comment", "$defs"})
# Keywords whose value is one schema, a list of schemas, or a map of schemas (where a
# nested "$id" or "$schema" would hide: see `_resource_is_plain`).
_ONE_SCHEMA = ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_MAPS = ("properties", "$defs")
# JSON Schema's names for the kinds of JSON value (`_kind`), "number" taking integers.
_TYPE_NAMES = frozenset({"null", "boolean", "integer", "number", "string", "array", "object"})
# ECMA-262 line terminators: "." does not match them there, and "$" (without the m flag)
# matches only at the very end, where Python's also matches before a final "\n".
_LINE_TERMINATORS = ("\n", "\r", "\u2028", "\u2029")


def _kind(value: object) -> str | None:
    """The JSON kind of a plain JSON value as ``json.loads`` makes it; None for anything
    else (a tuple, a subclass, NaN), which jsonschema may see otherwise."""
    kind = type(value)
    if kind is str:
        return "string"
    if kind is dict:
        # Keys are not looked at: jsonschema, like this module, takes any key as it is.
        return "object"
    if kind is list:
        return "array"
    if kind is bool:
        return "boolean"
    if value is None:
        return "null"
    if kind is int:
        return "integer"
    if kind is float:
        if not math.isfinite(value):  # type: ignore[arg-type]
            return None
        return "integer" if value.is_integer() else "number"  # type: ignore[attr-defined]
    return None


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


def _all(answers: Any) -> Answer:
    """True if every answer is; False as soon as one is False (that alone decides)."""
    result: Answer = True
    for answer in answers:
        if answer is False:
            return False
        if answer is None:
            result = None
    return result


def _any(answers: Any) -> Answer:
    """True if one answer is; else None if one is not known, else False."""
    result: Answer = False
    for answer in answers:
        if answer is True:
            return True
        if answer is None:
            result = None
    return result


def _equal(a: object, b: object) -> Answer:
    """JSON equality (1 == 1.0, but true != 1 and false != 0), as jsonschema's."""
    ka, kb = _kind(a), _kind(b)
    if ka is None or kb is None:
        return None
    numbers = ("integer", "number")
    if ka in numbers and kb in numbers:
        return bool(a == b)
    if ka != kb:
        return False
    if ka == "array":
        assert isinstance(a, list) and isinstance(b, list)
        if len(a) != len(b):
            return False
        return _all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if ka == "object":
        assert isinstance(a, dict) and isinstance(b, dict)
        if a.keys() != b.keys():
            return False
        return _all(_equal(a[k], b[k]) for k in a)
    return bool(a == b)


# --- patterns -----------------------------------------------------------------------------

_ESCAPABLE = frozenset("\\^$.|?*+()[]{}/-")


def _plain_pattern(pattern: str) -> bool:
    """Whether `pattern` is written in the part of regular expression syntax that means the
    same in ECMA-262 (without flags) and Python's ``re``: literal characters of the basic
    plane, escaped metacharacters, classes of those and of ranges, groups without ``(?``,
    ``| ^ $ .`` and the quantifiers ``* + ? {n} {n,} {n,m}`` (each maybe lazy). No ``\\d``,
    ``\\w``, ``\\s``, ``\\b`` (Unicode-aware in Python), no backreferences, no flags."""
    i, n = 0, len(pattern)
    quantifiable = False  # whether the previous token is an atom a quantifier may follow
    while i < n:
        c = pattern[i]
        if not _basic(c):
            return False
        if c == "\\":
            if i + 1 >= n or pattern[i + 1] not in _ESCAPABLE:
                return False
            i, quantifiable = i + 2, True
        elif c == "[":
            end = _class_end(pattern, i)
            if end is None:
                return False
            i, quantifiable = end, True
        elif c == "(":
            if pattern.startswith("?", i + 1) or pattern.startswith(")", i + 1):
                return False
            i, quantifiable = i + 1, False
        elif c in "*+?{":
            if not quantifiable:
                return False
            i = _quantifier_end(pattern, i)
            if i < 0:
                return False
            if pattern.startswith("?", i):  # lazy
                i += 1
            quantifiable = False
        elif c in "]}":
            return False
        else:  # a literal, ")", "|", "^", "$" or "."
            quantifiable = c not in "|^$("
            i += 1
    return True


def _quantifier_end(pattern: str, start: int) -> int:
    """The index after the quantifier at `start` (``*``, ``+``, ``?``, ``{n}``, ``{n,}``,
    ``{n,m}``), -1 if it is not one of those."""
    if pattern[start] != "{":
        return start + 1
    end = pattern.find("}", start)
    low, comma, high = pattern[start + 1 : end].partition(",")
    if end < 0 or not _digits(low) or (comma and high and not _digits(high)):
        return -1
    return end + 1


def _digits(text: str) -> bool:
    return bool(text) and all("0" <= c <= "9" for c in text)


def _basic(c: str) -> bool:
    """A character that is one UTF-16 code unit and not half of one character."""
    return ord(c) <= 0xFFFF and not 0xD800 <= ord(c) <= 0xDFFF


def _class_end(pattern: str, start: int) -> int | None:
    """The index after the ``[...]`` class at `start`, if it is a plain one."""
    i = start + 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):  # "[]" is an empty class in ECMA-262, not in Python
        return None
    while i < len(pattern):
        c = pattern[i]
        if not _basic(c) or c == "[":
            return None
        if pattern.startswith(("&&", "||", "~~", "--"), i):  # set operations to come in re
            return None
        if c == "\\":
            if i + 1 >= len(pattern) or pattern[i + 1] not in _ESCAPABLE:
                return None
            i += 2
            continue
        if c == "]":
            return i + 1
        i += 1
    return None


class _Pattern:
    """A plain pattern, applied as jsonschema applies it: ``re.search``."""

    def __init__(self, pattern: str) -> None:
        self.regex = re.compile(pattern)
        # Where ECMA-262 and Python may disagree about a string (see `_LINE_TERMINATORS`;
        # "." and a class match one UTF-16 code unit in ECMA-262, half of a character
        # outside the basic plane).
        self.has_dot_or_end = "." in pattern or "$" in pattern
        self.has_any = "." in pattern or "[" in pattern

    @classmethod
    def plain(cls, pattern: str) -> _Pattern | None:
        """`pattern` if it is plain (`_plain_pattern`) and compiles ({2,1} does not)."""
        if not _plain_pattern(pattern):
            return None
        try:
            return cls(pattern)
        except re.error:
            return None

    def search(self, text: str) -> Answer:
        if self.has_dot_or_end and any(t in text for t in _LINE_TERMINATORS):
            return None
        if self.has_any and text and max(text) > "\uffff":  # a character past the basic plane
            return None
        return self.regex.search(text) is not None


# --- schemas ------------------------------------------------------------------------------


class Schemas:
    """Schemas by file name, each a resource with its own ``$id``; a ``$ref`` is followed
    only to these (as jsonschema's registry of the same schemas would)."""

    def __init__(self, schemas: Mapping[str, Any]) -> None:
        self._by_name = dict(schemas)
        ids = [_root_id(schema) for schema in self._by_name.values()]
        self._by_id: dict[str, Any] = {
            id_: schema
            for id_, schema in zip(ids, self._by_name.values(), strict=True)
            if id_ is not None and ids.count(id_) == 1
        }
        self._plain: dict[str, bool] = {}  # by $id: `_resource_is_plain`, once looked at
        self._resolved: dict[tuple[str, str], tuple[object, str] | None] = {}
        # By id(schema): the schema and its keywords' checks, None if one is not known.
        self._plans: dict[int, tuple[object, list[tuple[_Check, Any]] | None]] = {}
        self._patterns: dict[str, _Pattern | None] = {}

    def surely_valid(self, document: object, name: str) -> bool:
        """True only when `document` is valid under the schema `name` (a file name): then
        jsonschema finds it valid too. False means invalid or not known."""
        schema: Any = self._by_name.get(name)
        base = _root_id(schema)
        if base is None or self._by_id.get(base) is not schema or not self._is_plain(base):
            return False
        try:
            return self._check(document, schema, base) is True
        except RecursionError:  # a document (or a cycle of $refs) too deep: not known
            return False

    def _is_plain(self, base: str) -> bool:
        if base not in self._plain:
            self._plain[base] = _resource_is_plain(self._by_id[base])
        return self._plain[base]

    # The walk over a schema: `base` is the $id of the resource `schema` is in.

    def _check(self, instance: object, schema: object, base: str) -> Answer:
        if schema is True:
            return True
        if schema is False:
            return False
        kind = _kind(instance)
        if kind is None:
            return None
        known = self._plans.get(id(schema))
        if known is None or known[0] is not schema:
            known = (schema, self._plan(schema))
            self._plans[id(schema)] = known
        plan = known[1]
        if plan is None:
            return None
        result: Answer = True
        for check, value in plan:
            answer = check(self, instance, kind, value, schema, base)
            if answer is False:
                return False
            if answer is None:
                result = None
        return result

    def _plan(self, schema: object) -> list[tuple[_Check, Any]] | None:
        """The checks of `schema`'s keywords; None when one is not known here."""
        if type(schema) is not dict:
            return None
        # "$id" and "$schema" are known at a resource's root only (`_resource_is_plain`).
        root = self._by_id.get(_root_id(schema) or "") is schema
        plan = []
        for keyword, value in schema.items():
            check = _KEYWORDS.get(keyword)
            if check is not None:
                plan.append((check, value))
            elif keyword not in _ANNOTATIONS and not (root and keyword in ("$id", "$schema")):
                return None
        return plan

    def _ref(self, instance: object, kind: str, ref: Any, schema: Any, base: str) -> Answer:
        key = (ref, base) if type(ref) is str else None
        if key is None:
            return None
        if key not in self._resolved:
            self._resolved[key] = self._resolve(ref, base)
        target = self._resolved[key]
        if target is None:
            return None
        return self._check(instance, target[0], target[1])

    def _resolve(self, ref: str, base: str) -> tuple[object, str] | None:
        """The schema `ref` names and the $id of its resource: ``#/a/b`` in this resource,
        ``name.schema.json`` or ``name.schema.json#/a/b`` beside it."""
        where, _, pointer = ref.partition("#")
        if where:
            # A plain file name, joined to the base's directory as RFC 3986 joins it.
            if where.startswith(".") or not all(
                c.isascii() and (c.isalnum() or c in "._-") for c in where
            ):
                return None
            if base.count("/") < 3:  # https://host: no directory to join to
                return None
            base = base.rpartition("/")[0] + "/" + where
        if base not in self._by_id or not self._is_plain(base):
            return None
        node: object = self._by_id[base]
        if pointer:
            if not pointer.startswith("/") or "~" in pointer or "%" in pointer:
                return None
            for token in pointer[1:].split("/"):
                if type(node) is not dict or token not in node:
                    return None
                node = node[token]
        return node, base

    def _type(self, instance: object, kind: str, types: Any, schema: Any, base: str) -> Answer:
        names = [types] if type(types) is str else types
        if type(names) is not list or not all(name in _TYPE_NAMES for name in names):
            return None
        return kind in names or (kind == "integer" and "number" in names)

    def _properties(
        self, instance: Any, kind: str, properties: Any, schema: Any, base: str
    ) -> Answer:
        if kind != "object":
            return True
        if type(properties) is not dict:
            return None
        return _all(
            self._check(instance[key], sub, base)
            for key, sub in properties.items()
            if key in instance
        )

    def _additional(self, instance: Any, kind: str, extra: Any, schema: Any, base: str) -> Answer:
        if kind != "object":
            return True
        if "patternProperties" in schema:
            return None
        known = schema.get("properties", {})
        if type(known) is not dict:
            return None
        return _all(self._check(instance[k], extra, base) for k in instance if k not in known)

    def _property_names(
        self, instance: Any, kind: str, names: Any, schema: Any, base: str
    ) -> Answer:
        if kind != "object":
            return True
        return _all(self._check(key, names, base) for key in instance)

    def _required(self, instance: Any, kind: str, required: Any, schema: Any, base: str) -> Answer:
        if type(required) is not list or not all(type(k) is str for k in required):
            return None
        return kind != "object" or all(key in instance for key in required)

    def _items(self, instance: Any, kind: str, items: Any, schema: Any, base: str) -> Answer:
        if kind != "array":
            return True
        if "prefixItems" in schema:
            return None
        return _all(self._check(item, items, base) for item in instance)

    def _all_of(self, instance: object, kind: str, schemas: Any, schema: Any, base: str) -> Answer:
        if type(schemas) is not list:
            return None
        return _all(self._check(instance, sub, base) for sub in schemas)

    def _any_of(self, instance: object, kind: str, schemas: Any, schema: Any, base: str) -> Answer:
        if type(schemas) is not list:
            return None
        return _any(self._check(instance, sub, base) for sub in schemas)

    def _one_of(self, instance: object, kind: str, schemas: Any, schema: Any, base: str) -> Answer:
        if type(schemas) is not list:
            return None
        answers = [self._check(instance, sub, base) for sub in schemas]
        valid = answers.count(True)
        if valid > 1:
            return False
        if None in answers:
            return None
        return valid == 1

    def _not(self, instance: object, kind: str, sub: Any, schema: Any, base: str) -> Answer:
        answer = self._check(instance, sub, base)
        return None if answer is None else not answer

    def _if(self, instance: object, kind: str, condition: Any, schema: Any, base: str) -> Answer:
        holds = self._check(instance, condition, base)
        if holds is None:
            return None
        branch = "then" if holds else "else"
        return self._check(instance, schema[branch], base) if branch in schema else True

    def _then_else(self, instance: object, kind: str, sub: Any, schema: Any, base: str) -> Answer:
        return True  # applied by "if"; without an "if", nothing

    def _const(self, instance: object, kind: str, const: Any, schema: Any, base: str) -> Answer:
        return _equal(instance, const)

    def _enum(self, instance: object, kind: str, values: Any, schema: Any, base: str) -> Answer:
        if type(values) is not list:
            return None
        return _any(_equal(instance, value) for value in values)

    def _pattern(self, instance: Any, kind: str, pattern: Any, schema: Any, base: str) -> Answer:
        if kind != "string":
            return True
        if type(pattern) is not str:
            return None
        if pattern not in self._patterns:
            self._patterns[pattern] = _Pattern.plain(pattern)
        compiled = self._patterns[pattern]
        return None if compiled is None else compiled.search(instance)

    def _minimum(self, instance: Any, kind: str, minimum: Any, schema: Any, base: str) -> Answer:
        if _kind(minimum) not in ("integer", "number"):
            return None
        return kind not in ("integer", "number") or bool(instance >= minimum)

    def _unique(self, instance: Any, kind: str, unique: Any, schema: Any, base: str) -> Answer:
        if type(unique) is not bool:
            return None
        if not unique or kind != "array":
            return True
        if not all(type(item) is str for item in instance):
            return None  # strings only: no 1 == 1.0 or true != 1 to mind
        return len(set(instance)) == len(instance)

    @staticmethod
    def _sized(applies_to: str, at_least: bool) -> Callable[..., Answer]:
        """minLength, minItems, maxItems, minProperties, maxProperties: ``len`` (code points
        of a string, as jsonschema counts them)."""

        def check(
            self: Schemas, instance: Any, kind: str, bound: Any, schema: Any, base: str
        ) -> Answer:
            if not _is_count(bound):
                return None
            if kind != applies_to:
                return True
            size, limit = len(instance), int(bound)
            return size >= limit if at_least else size <= limit

        return check


def _root_id(schema: object) -> str | None:
    """The ``$id`` of a draft 2020-12 resource, if it is an absolute URI without fragment."""
    if type(schema) is not dict or schema.get("$schema") != DRAFT_2020_12:
        return None
    id_ = schema.get("$id")
    if type(id_) is not str or "#" in id_ or not id_.startswith("https://"):
        return None
    return id_


def _resource_is_plain(schema: dict[str, Any]) -> bool:
    """Whether the resource has no resource, anchor or dialect of its own inside (they
    would change what a ``$ref`` names)."""
    return all(_no_nested_ids(sub) for sub in _subschemas(schema))


def _no_nested_ids(schema: object) -> bool:
    if type(schema) is not dict:
        return True
    if any(k in schema for k in ("$id", "$schema", "$anchor", "$dynamicAnchor")):
        return False
    return all(_no_nested_ids(sub) for sub in _subschemas(schema))


def _subschemas(schema: dict[str, Any]) -> list[object]:
    found: list[object] = [schema[k] for k in _ONE_SCHEMA if k in schema]
    for key in _SCHEMA_LISTS:
        if type(schema.get(key)) is list:
            found.extend(schema[key])
    for key in _SCHEMA_MAPS:
        if type(schema.get(key)) is dict:
            found.extend(schema[key].values())
    return found


_KEYWORDS: dict[str, _Check] = {
    "$ref": Schemas._ref,
    "type": Schemas._type,
    "properties": Schemas._properties,
    "additionalProperties": Schemas._additional,
    "propertyNames": Schemas._property_names,
    "required": Schemas._required,
    "items": Schemas._items,
    "allOf": Schemas._all_of,
    "anyOf": Schemas._any_of,
    "oneOf": Schemas._one_of,
    "not": Schemas._not,
    "if": Schemas._if,
    "then": Schemas._then_else,
    "else": Schemas._then_else,
    "const": Schemas._const,
    "enum": Schemas._enum,
    "pattern": Schemas._pattern,
    "minimum": Schemas._minimum,
    "uniqueItems": Schemas._unique,
    "minLength": Schemas._sized("string", at_least=True),
    "minItems": Schemas._sized("array", at_least=True),
    "maxItems": Schemas._sized("array", at_least=False),
    "minProperties": Schemas._sized("object", at_least=True),
    "maxProperties": Schemas._sized("object", at_least=False),
}
