"""The quick validity test of ci-eval's own schemas (nixeval.effects.schema_validity),
against jsonschema's Draft202012Validator with the same schemas as the oracle.

* Soundness: whenever the quick test says a document is valid, jsonschema says so too —
  on real descriptions, secrets files and deploy.json files mutated near their real shape
  (keys dropped, added and renamed; values of the wrong kind, true for 1 and 1 for true,
  1.0, odd strings, unknowns, nesting), with hypothesis and with a fixed seeded sample.
* Usefulness: it vouches for every real valid description (so a first run on a valid
  project does not import jsonschema), and for most valid mutants.
* "Don't know" for what it does not implement: a keyword, a ``$ref``, a pattern or a
  value outside what it knows makes it say not valid, whatever the document.
* Wiring: validate_document, deploy_problems and the secrets check use it first, and fall
  back to jsonschema (its messages) for anything it does not vouch for.
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from nixeval.effects.schema_validity import DRAFT_2020_12, Schemas

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
DOCUMENT = "description.schema.json"
SECRETS = "secrets.schema.json"
DEPLOY = "deploy.schema.json"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


SCHEMA_DATA: dict[str, Any] = {p.name: _load(p) for p in sorted(SCHEMAS.glob("*.schema.json"))}
REGISTRY: Registry[Any] = Registry().with_resources(
    (s["$id"], Resource.from_contents(s)) for s in SCHEMA_DATA.values()
)

# The real documents: every golden description, hand-written description and example.
DESCRIPTIONS: list[Any] = [
    _load(p)
    for p in sorted(
        [
            *(ROOT / "tests" / "golden" / "descriptions").glob("*.json"),
            *(ROOT / "tests" / "descriptions").glob("*.json"),
        ]
    )
] + list(SCHEMA_DATA[DOCUMENT]["examples"])
SECRETS_FILES: list[Any] = [
    *SCHEMA_DATA[SECRETS]["examples"],
    *(
        _load(p)
        for p in sorted(
            [*ROOT.glob("fixtures/*/secrets.json"), *ROOT.glob("tests/golden/check/*/secrets.json")]
        )
    ),
]
DEPLOY_FILES: list[Any] = [
    *SCHEMA_DATA[DEPLOY]["examples"],
    *(_load(p) for p in sorted(ROOT.glob("fixtures/*/deploy.json"))),
    *(_load(p) for p in sorted(ROOT.glob("tests/golden/check/*/deploy.json"))),
]

# As ci-eval validates each: descriptions with every schema registered by its $id
# (nixeval/effects/validate.py), secrets and deploy files alone.
ORACLES: dict[str, Draft202012Validator] = {
    DOCUMENT: Draft202012Validator(SCHEMA_DATA[DOCUMENT], registry=REGISTRY),
    SECRETS: Draft202012Validator(SCHEMA_DATA[SECRETS]),
    DEPLOY: Draft202012Validator(SCHEMA_DATA[DEPLOY]),
}
QUICK: dict[str, Schemas] = {
    DOCUMENT: Schemas(SCHEMA_DATA),
    SECRETS: Schemas({SECRETS: SCHEMA_DATA[SECRETS]}),
    DEPLOY: Schemas({DEPLOY: SCHEMA_DATA[DEPLOY]}),
}
REAL: dict[str, list[Any]] = {DOCUMENT: DESCRIPTIONS, SECRETS: SECRETS_FILES, DEPLOY: DEPLOY_FILES}


def quick(document: object, schema: str = DOCUMENT) -> bool:
    return QUICK[schema].surely_valid(document, schema)


def jsonschema_valid(document: object, schema: str = DOCUMENT) -> bool:
    return bool(ORACLES[schema].is_valid(document))


# --- the words of the schemas, to mutate documents with -------------------------------------


def _schema_words(node: object, keys: set[str], strings: set[str]) -> None:
    """Property names and const/enum strings anywhere in a schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                keys.update(value)
            if key == "const" and isinstance(value, str):
                strings.add(value)
            if key == "enum" and isinstance(value, list):
                strings.update(v for v in value if isinstance(v, str))
            if key not in ("examples", "description", "title"):
                _schema_words(value, keys, strings)
    elif isinstance(node, list):
        for item in node:
            _schema_words(item, keys, strings)


_KEYS: set[str] = set()
_STRINGS: set[str] = set()
for _schema in SCHEMA_DATA.values():
    _schema_words(_schema, _KEYS, _STRINGS)
KEYS = sorted(_KEYS)

STORE_PATH = "/nix/store/0c4gxp2jrw0b4a3h6bfp6z2dlrxsy64n-nixos-system-machine1"
# Strings at the edges of the schemas' patterns and lengths, and where Python's re and
# ECMA-262 differ ("$" before a final newline, "." and \r, characters past the BMP).
ODD_STRINGS = sorted(
    _STRINGS
    | {
        "",
        "?",
        "ci.nix:1:2",
        "ci.nix:1:2\n",
        "ci.nix:1:2\r",
        "ci\r.nix:1:2",
        "ci\u2028.nix:1:2",
        "ci.nix:1:x",
        "💥.nix:1:2",
        "effect",
        "effect-x",
        "effect\n",
        "effect-nixops-foo",
        "effect-nixops-\n",
        "«foo»",
        "«»",
        "«foo»\n",
        "«💥»",
        STORE_PATH,
        STORE_PATH + "\n",
        STORE_PATH.replace("0c4g", "ec4g"),
        "/nix/store/short-x",
        "<deploy.json>",
        "<a<b>",
        "<>",
        "deploy.json",
        "builtin map",
        "builtin \n",
        "lambda",
        "0.1.0",
        "x.y.z",
        "a" * 40,
        "0123456789abcdef0123456789abcdef01234567",
        "0123456789abcdef0123456789abcdef01234567\n",
        "init",
        "_ok",
        "1bad",
        "E200",
        "E2000",
        "refs/heads/main",
    }
)
UNKNOWN = {"unknown": "pkgs.hello", "at": "ci.nix:1:2"}
ODD_VALUES: list[object] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    1.0,
    0.0,
    2.5,
    -0.5,
    10**20,
    float("nan"),
    float("inf"),
    [],
    {},
    ["a", "a"],
    ["a", "b"],
    [1, True],
    [1, 1.0],
    UNKNOWN,
    {"unknown": 1, "at": "?"},
    {"unknown": "x"},
    {"unknown": "x", "at": "?", "more": 1},
    {"path": "./."},
    {"path": "./.", "filtered": True},
    {"path": "./.", "filtered": 1},
    {"function": "lambda"},
    {"derivation": "x", "outPath": UNKNOWN},
    {"isBranch": "main"},
    {"and": []},
    {"or": [True, "isTag"]},
    ("a", "b"),  # a tuple: not an array to jsonschema
    {1: "a"},  # a key that is not a string
]

# One mutation: where (a path into the document) and what.
Choose = Callable[[Sequence[Any]], Any]


def _places(node: object, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _places(value, (*path, index))


def _nodes(node: object) -> Iterator[object]:
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        yield from _nodes(child)


def _odd_value(choose: Choose, depth: int = 0) -> object:
    what = choose(["value", "string", "nested"] if depth < 2 else ["value", "string"])
    if what == "value":
        return copy.deepcopy(choose(ODD_VALUES))
    if what == "string":
        return choose(ODD_STRINGS)
    inner = _odd_value(choose, depth + 1)
    return choose([[inner], {choose(KEYS): inner}, {"value": inner, "at": "ci.nix:1:2"}])


def _retyped(value: object, choose: Choose) -> object:
    """The value as another kind of JSON: true for 1, 1 for true, 1.0 for 1, and so on."""
    if isinstance(value, bool):
        return choose([int(value), float(value), str(value).lower(), not value, None])
    if isinstance(value, int):
        return choose([bool(value), float(value), str(value), -value, value + 1])
    if isinstance(value, float):
        whole = int(value) if math.isfinite(value) else 0
        return choose([whole, value + 0.5, str(value)])
    if isinstance(value, str):
        return choose(
            [[value], {"unknown": value, "at": "?"}, value + "\n", value[:-1], len(value)]
        )
    if isinstance(value, list):
        return choose([tuple(value), value * 2, value[1:], {"items": value}, [value]])
    if isinstance(value, dict):
        return choose([list(value.values()), {"unknown": "x", "at": "?", **value}, {}, [value]])
    return choose([0, "", False])


def mutate(document: object, choose: Choose) -> object:
    """`document` changed at one place, in one of the ways the schemas care about."""
    document = copy.deepcopy(document)
    path = choose(list(_places(document)))
    if not path:
        return _odd_value(choose) if choose([True, False, False, False]) else document
    parent: Any = document
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    operation = choose(["replace", "retype", "drop", "add", "rename", "string", "graft"])
    if operation == "replace":
        parent[last] = _odd_value(choose)
    elif operation == "retype":
        parent[last] = _retyped(parent[last], choose)
    elif operation == "drop":
        del parent[last]
    elif operation == "string":
        parent[last] = choose(ODD_STRINGS)
    elif operation == "graft":  # a key and value from elsewhere in the document
        donors = [node for node in _nodes(document) if isinstance(node, dict) and node]
        key = choose(sorted({key for donor in donors for key in donor}, key=repr))
        donor = choose([d for d in donors if key in d])
        target = parent[last] if isinstance(parent[last], dict) else parent
        if isinstance(target, dict):
            target[key] = copy.deepcopy(donor[key])
    elif operation == "add":
        if isinstance(parent, dict):
            parent[choose(KEYS + ODD_STRINGS[:5])] = _odd_value(choose)
        else:
            parent.insert(last, _odd_value(choose))
    elif isinstance(parent, dict):  # rename
        parent[choose(KEYS)] = parent.pop(last)
    else:
        parent[last], parent[0] = parent[0], parent[last]
    return document


def mutants(choose: Choose, schema: str, count: int) -> object:
    document = choose(REAL[schema])
    for _ in range(count):
        document = mutate(document, choose)
    return document


# --- the real documents --------------------------------------------------------------------


@pytest.mark.parametrize("schema", [DOCUMENT, SECRETS, DEPLOY])
def test_the_real_documents_are_vouched_for(schema: str) -> None:
    """Every real valid document (golden descriptions, hand-written descriptions, the
    schemas' examples, the fixtures' secrets and deploy files) is found valid quickly."""
    documents = [d for d in REAL[schema] if jsonschema_valid(d, schema)]
    vouched = [d for d in documents if quick(d, schema)]
    assert len(documents) >= {DOCUMENT: 25, SECRETS: 5, DEPLOY: 3}[schema]
    assert len(vouched) == len(documents)


# --- soundness: quick says valid => jsonschema says valid ----------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), schema=st.sampled_from([DOCUMENT, SECRETS, DEPLOY]))
def test_what_the_quick_test_vouches_for_jsonschema_finds_valid(
    data: st.DataObject, schema: str
) -> None:
    def choose(options: Sequence[Any]) -> Any:
        return data.draw(st.sampled_from(options))

    document = mutants(choose, schema, data.draw(st.integers(1, 3)))
    if quick(document, schema):
        assert jsonschema_valid(document, schema), json.dumps(document, default=repr)[:3000]


def test_a_fixed_sample_of_mutants_reaches_both_answers_and_stays_sound() -> None:
    """The same, on a seeded sample that must show the test is not vacuous: many mutants
    are invalid, many are valid, and the quick test vouches for most of the valid ones."""
    rng = random.Random(15)
    counts = {"vouched": 0, "valid": 0, "invalid": 0}
    for index in range(400):
        schema = DOCUMENT if index % 4 else rng.choice([SECRETS, DEPLOY])
        document = mutants(rng.choice, schema, rng.randint(1, 3))
        valid = jsonschema_valid(document, schema)
        counts["valid" if valid else "invalid"] += 1
        if quick(document, schema):
            assert valid, json.dumps(document, default=repr)[:3000]
            counts["vouched"] += 1
    assert counts["invalid"] >= 100, counts
    assert counts["valid"] >= 50, counts
    assert counts["vouched"] >= 0.9 * counts["valid"], counts


# --- JSON semantics, each against the oracle ----------------------------------------------


def _neat_network() -> Any:
    return copy.deepcopy(_load(ROOT / "tests" / "golden" / "descriptions" / "neat-network.json"))


def _effect_with(**changes: object) -> Any:
    document = _neat_network()
    document["effects"][0].update(changes)
    return document


def _env_source(value: object) -> Any:
    """An env value that is a path (effect-common's pathValue: ``filtered`` is const true)."""
    document = _neat_network()
    document["effects"][0]["env"]["SRC"] = value
    return document


def _details(**changes: object) -> Any:
    document = _neat_network()
    document["effects"][0]["details"].update(changes)
    return document


def _argument(value: object) -> Any:
    """An argument's value: any Nix value as JSON (effect-common's value)."""
    document = _neat_network()
    document["effects"][0]["arguments"]["networkArgs"] = {"value": value, "at": "ci.nix:1:2"}
    return document


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # {"const": true}: 1 and 1.0 are not true
        (_env_source({"path": "./.", "filtered": True}), True),
        (_env_source({"path": "./.", "filtered": 1}), False),
        (_env_source({"path": "./.", "filtered": 1.0}), False),
        # {"type": "boolean"}: 1 is not a boolean
        (_details(prebuild=True), True),
        (_details(prebuild=1), False),
        # {"type": [..., "number", ...]}: 1.0, -0.5 and 10**20 are numbers, true is not one
        (_argument({"n": 1.0, "m": 10**20, "b": True, "x": -0.5}), True),
        # enum of strings: a list holding the string is not the string
        (_effect_with(mode="dependencies"), True),
        (_effect_with(mode=["dependencies"]), False),
        # uniqueItems
        (
            _effect_with(secrets=[{"name": "aws", "secret": "neat-aws", "fields": ["a", "a"]}]),
            False,
        ),
        (_effect_with(secrets=[{"name": "aws", "secret": "neat-aws", "fields": ["a", "b"]}]), True),
        # pattern applied with search semantics, anchored by the pattern's own ^...$
        (_effect_with(at="x:1:2 and more"), False),
        (_effect_with(at="?"), True),
    ],
)
def test_json_semantics_agree_with_jsonschema(document: object, expected: bool) -> None:
    assert jsonschema_valid(document) is expected
    assert quick(document) is expected


@pytest.mark.parametrize(
    "document",
    [
        # Python's "$" also matches before a final newline, ECMA-262's does not: jsonschema
        # (Python's re) finds this valid; the quick test does not say.
        _effect_with(at="ci.nix:1:2\n"),
        # Not JSON values: jsonschema takes NaN and infinity for numbers.
        _argument(float("nan")),
        _argument(float("inf")),
    ],
    ids=["newline-before-end", "nan", "infinity"],
)
def test_what_python_and_json_schema_may_see_differently_is_not_vouched_for(
    document: object,
) -> None:
    assert jsonschema_valid(document)  # so the quick test could only be too kind
    assert not quick(document)


def test_a_tuple_is_not_an_array() -> None:
    document = _neat_network()
    document["effects"] = tuple(document["effects"])
    assert not jsonschema_valid(document)
    assert not quick(document)


# --- "don't know" for what it does not implement ------------------------------------------

BASE = "https://ci-eval.invalid/schemas/"


def _schemas(**extra: object) -> Schemas:
    """A resource ``t.schema.json`` of an object whose ``a`` is a string, plus `extra`."""
    schema = {
        "$schema": DRAFT_2020_12,
        "$id": BASE + "t.schema.json",
        "type": "object",
        "properties": {"a": {"type": "string"}},
        **extra,
    }
    return Schemas({"t.schema.json": schema})


def _quick_t(schemas: Schemas, document: object) -> bool:
    return schemas.surely_valid(document, "t.schema.json")


def test_the_small_schema_is_vouched_for() -> None:
    assert _quick_t(_schemas(), {"a": "x"})
    assert not _quick_t(_schemas(), {"a": 1})


@pytest.mark.parametrize(
    "extra",
    [
        {"format": "uri"},  # annotation only in jsonschema without a format checker: not known
        {"dependentRequired": {"a": ["b"]}},
        {"patternProperties": {"^a$": {"type": "string"}}, "additionalProperties": False},
        {"prefixItems": [{"type": "string"}]},
        {"unevaluatedProperties": False},
        {"$ref": "elsewhere.schema.json"},  # no such resource
        {"$ref": "#/$defs/missing"},
        {"$ref": "#anchor"},
        {"$ref": "https://example.invalid/other.schema.json"},
        {"not": {"$ref": "#/$defs/missing"}},  # a "don't know" under not stays one
        {"if": {"format": "uri"}, "then": True, "else": True},
        {"allOf": [{"properties": {"a": {"pattern": "\\d"}}}]},  # \d: Unicode digits in Python
        {"allOf": [{"properties": {"a": {"pattern": "(?i)x"}}}]},
        {"$defs": {"inner": {"$id": "inner.schema.json"}}},  # a resource inside
        {"minLength": 1.5},
    ],
    ids=repr,
)
def test_what_it_does_not_implement_is_not_vouched_for(extra: dict[str, object]) -> None:
    assert not _quick_t(_schemas(**extra), {"a": "x"})


_SMALL_CASES: list[tuple[dict[str, Any], object, bool]] = [
    # oneOf: exactly one (here "x" is valid under both)
    ({"oneOf": [{"type": "string"}, {"minLength": 1}]}, "x", False),
    ({"oneOf": [{"type": "string"}, {"minLength": 1}]}, 1, True),
    ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, None, False),
    ({"anyOf": [{"type": "string"}, {"type": "null"}]}, None, True),
    ({"anyOf": [{"type": "string"}, {"type": "null"}]}, 1, False),
    ({"allOf": [{"type": "string"}, {"minLength": 2}]}, "x", False),
    ({"not": {"type": "string"}}, 1, True),
    ({"not": {"type": "string"}}, "x", False),
    # if without else: nothing asked of what the condition rejects
    ({"if": {"type": "string"}, "then": {"minLength": 2}}, "x", False),
    ({"if": {"type": "string"}, "then": {"minLength": 2}}, 1, True),
    ({"then": False}, 1, True),  # then without if: nothing
    # JSON equality: 1 == 1.0, true != 1, false != 0, null != 0
    ({"enum": [1, "a", None]}, 1.0, True),
    ({"enum": [1, "a", None]}, True, False),
    ({"enum": [0]}, False, False),
    ({"enum": [False]}, 0, False),
    ({"enum": [None]}, 0, False),
    ({"const": {"a": [1]}}, {"a": [1.0]}, True),
    ({"const": {"a": [1]}}, {"a": [True]}, False),
    ({"const": {"a": [1]}}, {"a": [1], "b": 1}, False),
    ({"const": "x"}, ["x"], False),
    # types: 1.0 is an integer, true is not one, nor a number
    ({"type": "integer"}, 1.0, True),
    ({"type": "integer"}, 1.5, False),
    ({"type": "integer"}, True, False),
    ({"type": "number"}, False, False),
    ({"type": "number"}, 10**30, True),
    ({"type": ["string", "null"]}, None, True),
    ({"type": ["string", "null"]}, 0, False),
    ({"type": []}, 0, False),
    ({"minimum": 0}, -1, False),
    ({"minimum": 0}, 0.0, True),
    ({"minimum": 0}, True, True),  # not a number: minimum says nothing
    ({"minimum": 0.5}, 0, False),
    # lengths count code points
    ({"minLength": 2}, "💥", False),
    ({"minLength": 2}, "💥x", True),
    ({"minItems": 1, "maxItems": 1}, [], False),
    ({"minItems": 1, "maxItems": 1}, [None], True),
    ({"minProperties": 1, "maxProperties": 1}, {"a": 1, "b": 2}, False),
    ({"uniqueItems": True}, ["a", "b"], True),
    ({"uniqueItems": True}, ["a", "a"], False),
    ({"uniqueItems": False}, ["a", "a"], True),
    # objects and arrays
    ({"required": ["a"]}, {"b": 1}, False),
    ({"required": ["a"]}, "not an object", True),
    ({"properties": {"a": False}}, {"a": 1}, False),
    ({"properties": {"a": False}}, {}, True),
    ({"additionalProperties": {"type": "string"}, "properties": {"a": {}}}, {"a": 1}, True),
    ({"additionalProperties": {"type": "string"}, "properties": {"a": {}}}, {"b": 1}, False),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"ab": 1}, True),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"aB": 1}, False),
    ({"items": {"type": "string"}}, ["a", 1], False),
    ({"items": {"$ref": "#/$defs/s"}, "$defs": {"s": {"type": "string"}}}, ["a"], True),
    ({"items": {"$ref": "#/$defs/s"}, "$defs": {"s": {"type": "string"}}}, [1], False),
    # pattern: search, not match
    ({"pattern": "b"}, "abc", True),
    ({"pattern": "^b"}, "abc", False),
    ({"pattern": "^a{2,3}$"}, "aaaa", False),
    ({"pattern": "^a{2,3}$"}, "aaa", True),
]


@pytest.mark.parametrize(("schema", "instance", "valid"), _SMALL_CASES, ids=repr)
def test_each_keyword_agrees_with_jsonschema(
    schema: dict[str, Any], instance: object, valid: bool
) -> None:
    """Where the quick test knows, it answers as jsonschema does; and a False it gives
    under ``not`` (or ``if``, ``oneOf``) must be as sure as a True: checked both ways."""
    root = {"$schema": DRAFT_2020_12, "$id": BASE + "t.schema.json"}
    inner = {k: v for k, v in schema.items() if k != "$defs"}
    defs = {"$defs": schema["$defs"]} if "$defs" in schema else {}
    for resource, expected in [
        ({**root, **schema}, valid),
        ({**root, "not": inner, **defs}, not valid),
    ]:
        assert Draft202012Validator(resource).is_valid(instance) is expected
        assert (
            Schemas({"t.schema.json": resource}).surely_valid(instance, "t.schema.json") is expected
        )


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("^a$", "a\n"),  # Python's $ also matches before a final newline
        ("^a.b$", "a\rb"),  # ECMA-262's . does not match \r, \u2028, \u2029
        ("^a.b$", "a\u2028b"),
        ("^.$", "💥"),  # one character in Python, two UTF-16 code units in ECMA-262
        ("^[^x]$", "💥"),
    ],
)
def test_a_pattern_python_and_ecma_262_may_read_differently_is_not_vouched_for(
    pattern: str, text: str
) -> None:
    resource = {"$schema": DRAFT_2020_12, "$id": BASE + "t.schema.json", "pattern": pattern}
    assert Draft202012Validator(resource).is_valid(text)  # Python's re: valid
    assert not Schemas({"t.schema.json": resource}).surely_valid(text, "t.schema.json")


def test_a_reference_to_another_resource_is_followed_only_when_registered() -> None:
    other = {"$schema": DRAFT_2020_12, "$id": BASE + "o.schema.json", "type": "object"}
    main = {
        "$schema": DRAFT_2020_12,
        "$id": BASE + "t.schema.json",
        "properties": {"a": {"$ref": "o.schema.json"}},
    }
    assert Schemas({"t.schema.json": main, "o.schema.json": other}).surely_valid(
        {"a": {}}, "t.schema.json"
    )
    assert not Schemas({"t.schema.json": main}).surely_valid({"a": {}}, "t.schema.json")


def test_a_document_too_deep_is_not_vouched_for() -> None:
    document = _neat_network()
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    document["effects"][0]["env"]["DEEP"] = deep
    assert not quick(document)


# --- wiring: jsonschema only for what the quick test does not vouch for ---------------------

_CLEAN_PRELUDE = (
    f"import sys, site, json\nsys.path[:0] = [{str(ROOT)!r}]\nsys.path += site.getsitepackages()\n"
)


def _in_a_process(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-S", "-c", _CLEAN_PRELUDE + code],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.splitlines()


def test_validate_document_of_a_valid_description_does_not_import_jsonschema() -> None:
    golden = str(ROOT / "tests" / "golden" / "descriptions" / "neat-network.json")
    out = _in_a_process(
        "from nixeval.effects.validate import validate_document\n"
        f"document = json.load(open({golden!r}))\n"
        "print(validate_document(document), 'jsonschema' in sys.modules)\n"
        "document['effects'][0]['functon'] = document['effects'][0].pop('function')\n"
        "problems = validate_document(document)\n"
        "print(len(problems) > 0, 'jsonschema' in sys.modules)\n"
    )
    assert out == ["[] False", "True True"]


def test_an_invalid_description_gets_jsonschemas_words() -> None:
    from nixeval.effects.validate import validate_document

    document = _effect_with(mode="dependency")
    (problem,) = validate_document(document)
    assert problem.pointer == "/effects/0/mode"
    # jsonschema's own message for the enum, with the suggestion ci-eval adds
    assert problem.message.startswith("'dependency' is not one of [")
    assert "did you mean 'dependencies'?" in problem.message


def test_deploy_problems_of_a_valid_file_do_not_import_jsonschema() -> None:
    out = _in_a_process(
        "from nixeval.effects.validate import deploy_problems\n"
        f"print(deploy_problems({{'agents': {{'m': {STORE_PATH!r}}}}}), 'jsonschema' in sys.modules)\n"
        "print(deploy_problems({'agent': {}}), 'jsonschema' in sys.modules)\n"
    )
    assert out == ["[] False", "[\"'agents' is a required property\"] True"]


def test_a_valid_secrets_file_does_not_import_jsonschema() -> None:
    out = _in_a_process(
        "from nixeval.effects.secrets import SecretsError, parse_secrets\n"
        "good = {'s': {'kind': 'Secret', 'data': {'t': 'x'}, 'condition': {'isBranch': 'main'}}}\n"
        "print(sorted(parse_secrets(good, 'secrets.json')), 'jsonschema' in sys.modules)\n"
    )
    assert out == ["['s'] False"]
