"""The effect description schemas (schemas/description.schema.json, effect-*.schema.json)
and nixeval.effects.validate.

* Every schema is a valid Draft 2020-12 schema with a unique ``$id`` and title, and its
  examples validate.
* The hand-written documents in tests/descriptions/ (one or more per effect schema,
  written from docs/descriptions.md and hercules-effects.md) validate; other tests may
  reuse them.
* Mutations of them (a misspelt key, a wrong enum value, a malformed unknown, ...) fail
  with the right JSON pointer, message and schema file.
* Unknown objects are accepted wherever a value comes from evaluation.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from nixeval.effects.validate import (
    DOCUMENT_SCHEMA,
    EFFECT_FUNCTIONS,
    NOT_MODELLED_FUNCTIONS,
    SchemaProblem,
    schema_for_function,
    schemas_directory,
    validate_document,
)

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
DESCRIPTIONS = Path(__file__).resolve().parent / "descriptions"
BASE = "https://ci-eval.invalid/schemas/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

#: The schema files this test is about.
EFFECT_SCHEMAS = [
    "effect-common.schema.json",
    "effect-runCachixDeploy.schema.json",
    "effect-runNixOps.schema.json",
    "effect-runNixOps2.schema.json",
    "effect-mkEffect.schema.json",
    "effect-modularEffect.schema.json",
    "effect-notModelled.schema.json",
    "effect-library.schema.json",
]
ALL_SCHEMA_FILES = sorted(p.name for p in SCHEMAS.glob("*.schema.json"))

STORE_PATH = "/nix/store/0c4gxp2jrw0b4a3h6bfp6z2dlrxsy64n-nixos-system-machine1-23.11"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


SCHEMA_DATA: dict[str, dict[str, Any]] = {name: _load(SCHEMAS / name) for name in ALL_SCHEMA_FILES}
REGISTRY: Registry[Any] = Registry().with_resources(
    (s["$id"], Resource.from_contents(s)) for s in SCHEMA_DATA.values()
)
DOCUMENTS: dict[str, dict[str, Any]] = {
    p.stem: _load(p) for p in sorted(DESCRIPTIONS.glob("*.json"))
}


def unknown(what: str = "pkgs.hello", at: str = "ci.nix:1:1") -> dict[str, str]:
    return {"unknown": what, "at": at}


def document(name: str) -> dict[str, Any]:
    return copy.deepcopy(DOCUMENTS[name])


def effect_of(doc: dict[str, Any]) -> dict[str, Any]:
    effect: dict[str, Any] = doc["effects"][0]
    return effect


# --------------------------------------------------------------------------------------
# The schemas themselves


@pytest.mark.parametrize("name", ALL_SCHEMA_FILES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = SCHEMA_DATA[name]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DRAFT
    assert schema["$id"] == BASE + name
    assert schema["title"] and schema["description"]


def test_ids_and_titles_are_unique() -> None:
    ids = [s["$id"] for s in SCHEMA_DATA.values()]
    titles = [s["title"] for s in SCHEMA_DATA.values()]
    assert len(set(ids)) == len(ids)
    assert len(set(titles)) == len(titles)


@pytest.mark.parametrize("name", [DOCUMENT_SCHEMA, *EFFECT_SCHEMAS])
def test_schema_examples_validate(name: str) -> None:
    schema = SCHEMA_DATA[name]
    assert schema["examples"]
    validator = Draft202012Validator(schema, registry=REGISTRY)
    for example in schema["examples"]:
        assert [e.message for e in validator.iter_errors(example)] == []


@pytest.mark.parametrize("name", [DOCUMENT_SCHEMA, *EFFECT_SCHEMAS])
def test_every_reference_resolves(name: str) -> None:
    """Each ``$ref`` names a registered schema by (a URI relative to) its ``$id``."""
    schema = SCHEMA_DATA[name]
    resolver = REGISTRY.resolver(base_uri=schema["$id"])

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                resolver.lookup(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)


def test_validate_module_finds_the_schemas() -> None:
    assert sorted(p.name for p in schemas_directory().glob("*.schema.json")) == ALL_SCHEMA_FILES


def test_function_names_agree_between_schemas_and_module() -> None:
    defs = SCHEMA_DATA["effect-common.schema.json"]["$defs"]
    assert tuple(defs["functionName"]["enum"]) == EFFECT_FUNCTIONS
    assert tuple(defs["notModelledFunctionName"]["enum"]) == NOT_MODELLED_FUNCTIONS
    effect = SCHEMA_DATA[DOCUMENT_SCHEMA]["$defs"]["effect"]
    # An effect the real library made is read off its derivation: one schema for all.
    assert effect["then"]["$ref"] == "effect-library.schema.json"
    dispatched = {branch["then"]["$ref"] for branch in effect["else"]["allOf"]}
    assert dispatched == {schema_for_function(f) for f in EFFECT_FUNCTIONS}
    for function in EFFECT_FUNCTIONS:
        assert schema_for_function(function) in ALL_SCHEMA_FILES


def test_schema_for_function() -> None:
    assert schema_for_function("runCachixDeploy") == "effect-runCachixDeploy.schema.json"
    assert schema_for_function("runNixOps2") == "effect-runNixOps2.schema.json"
    assert schema_for_function("modularEffect") == "effect-modularEffect.schema.json"
    for function in NOT_MODELLED_FUNCTIONS:
        assert schema_for_function(function) == "effect-notModelled.schema.json"
    with pytest.raises(ValueError, match="runNixOpz"):
        schema_for_function("runNixOpz")


DETAILS_SCHEMAS = {
    "runCachixDeploy": "effect-runCachixDeploy.schema.json",
    "runNixOps": "effect-runNixOps.schema.json",
    "runNixOps2": "effect-runNixOps2.schema.json",
}


@pytest.mark.parametrize("function", sorted(DETAILS_SCHEMAS))
def test_details_keys_are_those_of_the_documentation(function: str) -> None:
    """docs/descriptions.md lists the `details` keys of each function; the schema requires
    exactly those and allows no others."""
    doc = (ROOT / "docs" / "descriptions.md").read_text(encoding="utf-8")
    listed = re.search(rf"for {function} ((?:`\w+`(?:, )?)+)", doc)
    assert listed, f"docs/descriptions.md no longer lists the details of {function}"
    keys = re.findall(r"`(\w+)`", listed.group(1))
    details = SCHEMA_DATA[DETAILS_SCHEMAS[function]]["$defs"]["details"]
    assert details["required"] == keys
    assert list(details["properties"]) == keys
    assert details["additionalProperties"] is False


def test_the_common_effect_keys_are_those_of_the_documentation() -> None:
    doc = (ROOT / "docs" / "descriptions.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `(\w+)` \|", doc, re.MULTILINE)
    assert "notModelled" in documented
    every: set[str] = set()
    for name in EFFECT_SCHEMAS[1:]:
        properties = set(SCHEMA_DATA[name]["properties"])
        assert properties <= set(documented), name
        every |= properties
    assert every | {"notModelled"} == set(documented)


# --------------------------------------------------------------------------------------
# The example documents


def test_there_is_an_example_for_every_effect_schema() -> None:
    covered = {
        "effect-library.schema.json"
        if e.get("library", {}).get("kind") == "source"
        else schema_for_function(e["function"])
        for d in DOCUMENTS.values()
        for e in d["effects"]
    }
    assert covered == set(EFFECT_SCHEMAS[1:])


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_example_document_validates(name: str) -> None:
    assert validate_document(DOCUMENTS[name]) == []
    # and by plain jsonschema, without the module's grouping
    validator = Draft202012Validator(SCHEMA_DATA[DOCUMENT_SCHEMA], registry=REGISTRY)
    assert [e.message for e in validator.iter_errors(DOCUMENTS[name])] == []


def test_runnixops_example_has_the_phases_of_the_library() -> None:
    effect = effect_of(DOCUMENTS["runNixOps-neat-network"])
    assert list(effect["phases"]) == [
        "getState",
        "userSetup",
        "priorCheck",
        "effect",
        "putState",
        "effectCheck",
    ]
    assert effect["mode"] == "dependencies" and effect["runIf"]["condition"] is False


def test_runcachixdeploy_example_reads_the_activate_token() -> None:
    effect = effect_of(DOCUMENTS["runCachixDeploy-deploy"])
    assert effect["env"]["CACHIX_ACTIVATE_TOKEN"] == {
        "secret": "activate",
        "field": "cachixActivateToken",
    }
    assert {"run": ["cachix", "deploy", "activate", "<deploy.json>", "--async"]} in effect[
        "phases"
    ]["effect"]
    assert "json" in effect["files"]["<deploy.json>"]


def test_a_document_with_every_example_effect_validates() -> None:
    doc = document("runNixOps-neat-network")
    doc["effects"] = [e for d in DOCUMENTS.values() for e in d["effects"]]
    assert validate_document(doc) == []


# --------------------------------------------------------------------------------------
# Mutations: each must fail, with one problem at the right place

Mutation = Callable[[dict[str, Any]], None]


def _set(*path: str | int, value: object) -> Mutation:
    """Set the value at ``path`` below the first effect (or the document, for ``/``)."""

    def mutate(doc: dict[str, Any]) -> None:
        node: Any = doc if path[0] == "/" else effect_of(doc)
        steps = path[1:] if path[0] == "/" else path
        for step in steps[:-1]:
            node = node[step]
        node[steps[-1]] = value

    return mutate


def _delete(*path: str | int) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        node: Any = effect_of(doc)
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]

    return mutate


def _rename(*path: str, to: str) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        node: Any = effect_of(doc)
        for step in path[:-1]:
            node = node[step]
        node[to] = node.pop(path[-1])

    return mutate


NIXOPS = "runNixOps-neat-network"
CACHIX = "runCachixDeploy-deploy"
CACHIX_FILE = "runCachixDeploy-deployJsonFile"
NIXOPS2 = "runNixOps2-flake"
MKEFFECT = "mkEffect"
MODULAR = "modularEffect"
NIXOS = "notModelled-runNixOS"
GITWRITE = "notModelled-gitWriteBranch"

D = "description.schema.json"
N1 = "effect-runNixOps.schema.json"
N2 = "effect-runNixOps2.schema.json"
CD = "effect-runCachixDeploy.schema.json"
MK = "effect-mkEffect.schema.json"
MO = "effect-modularEffect.schema.json"
NM = "effect-notModelled.schema.json"

# (id, example, mutation, pointer, message regex, schema)
# fmt: off
MUTATIONS: list[tuple[str, str, Mutation, str, str, str]] = [
    # the document
    ("no-effects", NIXOPS, lambda d: d.pop("effects"), "", "'effects' is a required", D),
    ("wrong-$schema", NIXOPS, _set("/", "$schema", value="x"), "/$schema", "was expected", D),
    ("checkout-null", NIXOPS, _set("/", "checkout", value=None), "/checkout", "not of type", D),
    ("checkout-ref-number", NIXOPS, _set("/", "checkout", "ref", value=1), "/checkout/ref", "not of type", D),
    ("checkout-typo", NIXOPS, _set("/", "checkout", "brnach", value="main"), "/checkout/brnach", "did you mean 'branch'", D),
    ("document-extra-key", NIXOPS, _set("/", "effect", value=[]), "/effect", "did you mean 'effects'", D),
    ("ciEval-not-version", NIXOPS, _set("/", "ciEval", value="dev"), "/ciEval", "does not match", D),
    # which schema applies
    ("unknown-function", NIXOPS, _set("function", value="runNixOpz"), "/effects/0/function", "is not one of .*did you mean 'runNixOps'", D),
    ("function-not-string", NIXOPS, _set("function", value=3), "/effects/0/function", "is not one of", D),
    ("missing-function", NIXOPS, _delete("function"), "/effects/0", "'function' is a required property", D),
    ("effect-not-object", NIXOPS, lambda d: d["effects"].__setitem__(0, []), "/effects/0", "not of type 'object'", D),
    ("other-function-schema", NIXOPS, _set("function", value="runNixOps2"), "/effects/0/details/prebuildOnlyNetworkFiles", "Additional properties", N2),
    # common keys
    ("mode-maybe", NIXOPS, _set("mode", value="maybe"), "/effects/0/mode", "'maybe' is not one of", N1),
    ("mode-run-under-false-runIf", NIXOPS, _set("mode", value="run"), "/effects/0/mode", "'dependencies' was expected", N1),
    ("mode-dependencies-without-runIf", MKEFFECT, _set("mode", value="dependencies"), "/effects/0/mode", "'run' was expected", MK),
    ("mode-dependencies-under-true-runIf", CACHIX, _set("mode", value="dependencies"), "/effects/0/mode", "'run' was expected", CD),
    ("runIf-condition-unknown", CACHIX, _set("runIf", "condition", value=unknown()), "/effects/0/runIf/condition", "not of type 'boolean'", CD),
    ("runIf-extra", NIXOPS, _set("runIf", "cond", value=True), "/effects/0/runIf/cond", "Additional properties", N1),
    ("at-not-a-position", NIXOPS, _set("at", value="ci.nix"), "/effects/0/at", "does not match", N1),
    ("effect-key-typo", NIXOPS, _rename("details", to="detials"), "/effects/0/detials", "did you mean 'details'", N1),
    ("effect-missing-prebuilt", NIXOPS, _delete("prebuilt"), "/effects/0", "'prebuilt' is a required property", N1),
    ("name-without-effect-prefix", MKEFFECT, _set("name", value="hello"), "/effects/0/name", "does not match", MK),
    ("argument-without-at", NIXOPS, _delete("arguments", "name", "at"), "/effects/0/arguments/name", "'at' is a required", N1),
    ("argument-extra-key", NIXOPS, _set("arguments", "name", "span", value="x"), "/effects/0/arguments/name/span", "Additional properties", N1),
    ("inputs-not-list", NIXOPS, _set("inputs", value="pkgs.nix"), "/effects/0/inputs", "not of type 'array'", N1),
    # unknowns
    ("unknown-extra-key", NIXOPS, _set("prebuilt", "extra", value=1), "/effects/0/prebuilt/extra", "Additional properties", N1),
    ("unknown-without-at", NIXOPS, _delete("prebuilt", "at"), "/effects/0/prebuilt", "'at' is a required", N1),
    ("unknown-at-not-position", NIXOPS, _set("prebuilt", "at", value="somewhere"), "/effects/0/prebuilt/at", "does not match", N1),
    ("unknown-provenance-not-string", NIXOPS, _set("prebuilt", "unknown", value=None), "/effects/0/prebuilt/unknown", "not of type 'string'", N1),
    ("unknown-deep-in-an-argument", NIXOPS, _set("arguments", "networkFiles", "value", 1, value={"unknown": "x", "at": "?", "why": "y"} ), "/effects/0/arguments/networkFiles/value/1/why", "Additional properties", N1),
    ("unknown-in-argv-extra-key", NIXOPS, _set("phases", "effect", 1, "run", 0, value={"unknown": "x", "at": "?", "z": 0}), "/effects/0/phases/effect/1/run/0/z", "Additional properties", N1),
    ("unknown-env-extra-key", NIXOPS, _set("env", "NIX_PATH", "x", value=1), "/effects/0/env/NIX_PATH/x", "Additional properties", N1),
    # secrets
    ("secretsMap-type-Token", NIXOPS, _set("secretsMap", "aws", value={"type": "Token"}), "/effects/0/secretsMap/aws/type", "'GitToken' was expected", N1),
    ("secretsMap-GitToken-extra", NIXOPS, _set("secretsMap", "aws", value={"type": "GitToken", "scope": "x"}), "/effects/0/secretsMap/aws/scope", "Additional properties", N1),
    ("secretsMap-object-without-type", NIXOPS, _set("secretsMap", "aws", value={}), "/effects/0/secretsMap/aws", "'type' is a required", N1),
    ("secretsMap-number", NIXOPS, _set("secretsMap", "aws", value=1), "/effects/0/secretsMap/aws", "not of type 'string'", N1),
    ("secretsMap-empty-name", NIXOPS, _set("secretsMap", "aws", value=""), "/effects/0/secretsMap/aws", "should be non-empty", N1),
    ("secrets-secret-type-Token", MKEFFECT, _set("secrets", 0, "secret", value={"type": "Token"}), "/effects/0/secrets/0/secret/type", "'GitToken' was expected", MK),
    ("secrets-fields-not-strings", NIXOPS, _set("secrets", 0, "fields", value=[1]), "/effects/0/secrets/0/fields/0", "not of type 'string'", N1),
    ("secrets-missing-fields", NIXOPS, _delete("secrets", 0, "fields"), "/effects/0/secrets/0", "'fields' is a required", N1),
    ("env-secret-without-field", CACHIX, _delete("env", "CACHIX_ACTIVATE_TOKEN", "field"), "/effects/0/env/CACHIX_ACTIVATE_TOKEN", "'field' is a required", CD),
    ("env-number", NIXOPS, _set("env", "X", value=1), "/effects/0/env/X", "not of type 'string'", N1),
    ("env-bool", NIXOPS, _set("env", "X", value=True), "/effects/0/env/X", "not of type 'string'", N1),
    # state files, files
    ("stateFile-without-write", NIXOPS, _delete("stateFiles", 0, "write"), "/effects/0/stateFiles/0", "'write' is a required", N1),
    ("stateFile-read-string", NIXOPS, _set("stateFiles", 0, "read", value="yes"), "/effects/0/stateFiles/0/read", "not of type 'boolean'", N1),
    ("files-not-a-placeholder", CACHIX, _rename("files", "<deploy.json>", to="deploy.json"), "/effects/0/files/deploy.json", "does not match", CD),
    ("file-json-and-extra", CACHIX, _set("files", "<deploy.json>", "text", value="x"), "/effects/0/files/<deploy.json>/text", "Additional properties", CD),
    ("file-path-not-string", CACHIX_FILE, _set("files", "<deploy.json>", "path", value=1), "/effects/0/files/<deploy.json>/path", "not of type 'string'", CD),
    # phases and steps
    ("phase-name-typo", NIXOPS, _rename("phases", "effectCheck", to="effectcheck"), "/effects/0/phases/effectcheck", "did you mean 'effectCheck'", N1),
    ("phase-init-not-shown", NIXOPS, _set("phases", "init", value=[]), "/effects/0/phases/init", "is not one of", N1),
    ("phase-not-list", NIXOPS, _set("phases", "effect", value={"run": ["x"]}), "/effects/0/phases/effect", "not of type 'array'", N1),
    ("step-without-kind", NIXOPS, _set("phases", "effect", 0, value={"runn": ["nixops"]}), "/effects/0/phases/effect/0", "must have a `run`, `script` or `export`", N1),
    ("step-empty-argv", NIXOPS, _set("phases", "effect", 0, "run", value=[]), "/effects/0/phases/effect/0/run", "non-empty", N1),
    ("step-argv-number", NIXOPS, _set("phases", "effect", 0, "run", 1, value=1), "/effects/0/phases/effect/0/run/1", "not of type 'string'", N1),
    ("step-run-extra", NIXOPS, _set("phases", "putState", 0, "stderr", value="x"), "/effects/0/phases/putState/0/stderr", "'stderr' was unexpected", N1),
    ("step-script-without-from", NIXOPS, _delete("phases", "userSetup", 0, "from"), "/effects/0/phases/userSetup/0", "'from' is a required", N1),
    ("step-export-without-field", CACHIX, _delete("phases", "userSetup", 0, "field"), "/effects/0/phases/userSetup/0", "'field' is a required", CD),
    ("step-run-and-script", NIXOPS, _set("phases", "effect", 0, "script", value="x"), "/effects/0/phases/effect/0/script", "Additional properties", N1),
    # runNixOps details
    ("nixops-action-swtich", NIXOPS, _set("details", "action", value="swtich"), "/effects/0/details/action", "'swtich' is not one of .*did you mean 'switch'", N1),
    ("nixops-networkfiles-typo", NIXOPS, _rename("details", "networkFiles", to="networkfiles"), "/effects/0/details/networkfiles", "'networkfiles' was unexpected.*did you mean 'networkFiles'", N1),
    ("nixops-actionFlag-string", NIXOPS, _set("details", "actionFlag", value="--boot"), "/effects/0/details/actionFlag", "not of type 'array'", N1),
    ("nixops-actionFlag-two", NIXOPS, _set("details", "actionFlag", value=["--boot", "--test"]), "/effects/0/details/actionFlag", "too long|at most|expected", N1),
    ("nixops-actionFlag-for-switch", NIXOPS, _set("details", "actionFlag", value=["--bot"]), "/effects/0/details/actionFlag", r"\[\] was expected", N1),
    ("nixops-actionFlag-typo", NIXOPS, lambda d: (_set("details", "action", value=unknown())(d), _set("details", "actionFlag", value=["--bot"])(d)), "/effects/0/details/actionFlag/0", "did you mean '--boot'", N1),
    ("nixops-networkFiles-string", NIXOPS, _set("details", "networkFiles", value="network.nix"), "/effects/0/details/networkFiles", "not of type 'array'", N1),
    ("nixops-networkFiles-number-item", NIXOPS, _set("details", "networkFiles", 0, value=1), "/effects/0/details/networkFiles/0", "not of type 'string'", N1),
    ("nixops-actionFlag-mismatch", NIXOPS, _set("details", "actionFlag", value=["--boot"]), "/effects/0/details/actionFlag", r"\[\] was expected", N1),
    ("nixops-actionFlag-for-boot", NIXOPS, _set("details", "action", value="boot"), "/effects/0/details/actionFlag", r"\['--boot'\] was expected", N1),
    ("nixops-missing-stateName", NIXOPS, _delete("details", "stateName"), "/effects/0/details", "'stateName' is a required", N1),
    ("nixops-prebuild-string", NIXOPS, _set("details", "prebuild", value="true"), "/effects/0/details/prebuild", "not of type 'boolean'", N1),
    ("nixops-networkArgs-list", NIXOPS, _set("details", "networkArgs", value=[]), "/effects/0/details/networkArgs", "not of type 'object'", N1),
    ("nixops-runNixOps2-only-key", NIXOPS, _set("details", "allowReboot", value=True), "/effects/0/details/allowReboot", "Additional properties", N1),
    ("nixops-name-prefix", NIXOPS, _set("name", value="effect-foo"), "/effects/0/name", "does not match", N1),
    ("nixops-notModelled-not-allowed", NIXOPS, _set("notModelled", value="x"), "/effects/0/notModelled", "Additional properties", N1),
    # runNixOps2 details
    ("nixops2-action", NIXOPS2, _set("details", "action", value="deploy"), "/effects/0/details/action", "is not one of", N2),
    ("nixops2-deployArgs-string", NIXOPS2, _set("details", "deployArgs", value="--allow-reboot"), "/effects/0/details/deployArgs", "not of type 'array'", N2),
    ("nixops2-name-number", NIXOPS2, _set("details", "name", value=1), "/effects/0/details/name", "not of type", N2),
    ("nixops2-stateName-not-a-key", NIXOPS2, _set("details", "stateName", value="x"), "/effects/0/details/stateName", "Additional properties", N2),
    ("nixops2-allowReboot-null", NIXOPS2, _set("details", "allowReboot", value=None), "/effects/0/details/allowReboot", "not of type 'boolean'", N2),
    # runCachixDeploy details
    ("cachix-deploy-agents-not-object", CACHIX, _set("details", "deploy", "agents", value=[]), "/effects/0/details/deploy/agents", "not of type 'object'", CD),
    ("cachix-deploy-bad-store-path", CACHIX, _set("details", "deploy", "agents", "machine1", value="/nix/store/abc"), "/effects/0/details/deploy/agents/machine1", "does not match", CD),
    ("cachix-deploy-derivation-bad-outPath", CACHIX, _set("details", "deploy", "agents", "machine1", value={"derivation": "x", "outPath": "/tmp/x"}), "/effects/0/details/deploy/agents/machine1/outPath", "does not match", CD),
    ("cachix-deploy-rollbackScript-not-object", CACHIX, _set("details", "deploy", "rollbackScript", value="x"), "/effects/0/details/deploy/rollbackScript", "not of type 'object'", CD),
    ("cachix-deploy-list", CACHIX, _set("details", "deploy", value=[]), "/effects/0/details/deploy", "not of type 'null'", CD),
    ("cachix-async-string", CACHIX, _set("details", "async", value="1"), "/effects/0/details/async", "not of type 'boolean'", CD),
    ("cachix-activateSecret-Token", CACHIX, _set("details", "activateSecret", value={"type": "Token"}), "/effects/0/details/activateSecret/type", "'GitToken' was expected", CD),
    ("cachix-missing-deployJsonFile", CACHIX, _delete("details", "deployJsonFile"), "/effects/0/details", "'deployJsonFile' is a required", CD),
    ("cachix-deployJsonFile-bool", CACHIX, _set("details", "deployJsonFile", value=False), "/effects/0/details/deployJsonFile", "not of type 'string'", CD),
    ("cachix-deployJsonFile-number", CACHIX, _set("details", "deployJsonFile", value=1), "/effects/0/details/deployJsonFile", "not of type 'string'", CD),
    ("cachix-without-activate", CACHIX, _delete("secretsMap", "activate"), "/effects/0/secretsMap", "'activate' is a required", CD),
    ("cachix-name", CACHIX, _set("name", value="effect-deploy"), "/effects/0/name", "'effect-cachix-deploy-effect' was expected", CD),
    ("cachix-missing-details", CACHIX, _delete("details"), "/effects/0", "'details' is a required", CD),
    # mkEffect, modularEffect
    ("mkEffect-details-not-empty", MKEFFECT, _set("details", "name", value="hello"), "/effects/0/details/name", "Additional properties", MK),
    ("mkEffect-notModelled", MKEFFECT, _set("notModelled", value="x"), "/effects/0/notModelled", "Additional properties", MK),
    ("modularEffect-details-not-empty", MODULAR, _set("details", value={"x": 1}), "/effects/0/details/x", "Additional properties", MO),
    ("modularEffect-script-unknown-extra", MODULAR, _set("phases", "effect", 0, "script", "more", value=1), "/effects/0/phases/effect/0/script/more", "Additional properties", MO),
    # the rest of the family
    ("notModelled-missing", NIXOS, _delete("notModelled"), "/effects/0", "'notModelled' is a required", NM),
    ("notModelled-empty", NIXOS, _set("notModelled", value=""), "/effects/0/notModelled", "should be non-empty", NM),
    ("notModelled-with-phases", NIXOS, _set("phases", "effect", value=[{"run": ["ssh"]}]), "/effects/0/phases", "is expected to be empty", NM),
    ("notModelled-with-details", GITWRITE, _set("details", "contents", value="x"), "/effects/0/details/contents", "Additional properties", NM),
    ("notModelled-for-modelled-function", NIXOS, _set("function", value="mkEffect"), "/effects/0/notModelled", "Additional properties", MK),
]
# fmt: on


@pytest.mark.parametrize(
    ("example", "mutation", "pointer", "message", "schema"),
    [pytest.param(*case[1:], id=case[0]) for case in MUTATIONS],
)
def test_mutation_fails_at_the_right_place(
    example: str, mutation: Mutation, pointer: str, message: str, schema: str
) -> None:
    doc = document(example)
    mutation(doc)
    problems = validate_document(doc)
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.pointer == pointer, problem
    assert re.search(message, problem.message), problem
    assert problem.schema == schema, problem
    assert _resolve(doc, pointer) is not _MISSING, "the pointer names a place in the document"


_MISSING = object()


def _resolve(doc: object, pointer: str) -> object:
    node = doc
    for raw in pointer.split("/")[1:]:
        step = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return _MISSING
    return node


def test_mutation_ids_are_unique() -> None:
    ids = [case[0] for case in MUTATIONS]
    assert len(set(ids)) == len(ids)


# --------------------------------------------------------------------------------------
# Unknowns are accepted wherever a value comes from evaluation

# fmt: off
UNKNOWN_PLACES: list[tuple[str, str, tuple[str | int, ...]]] = [
    (NIXOPS, "name", ("name",)),
    (NIXOPS, "inputs", ("inputs",)),
    (NIXOPS, "secretsMap", ("secretsMap",)),
    (NIXOPS, "secretsMap entry", ("secretsMap", "aws")),
    (NIXOPS, "secret of a secrets entry", ("secrets", 0, "secret")),
    (NIXOPS, "env value", ("env", "NIXOPS_DEPLOYMENT")),
    (NIXOPS, "argument value", ("arguments", "name", "value")),
    (NIXOPS, "nested argument value", ("arguments", "secretsMap", "value", "aws")),
    (NIXOPS, "argv entry", ("phases", "effect", 1, "run", 2)),
    (NIXOPS, "stdin", ("phases", "getState", 4, "stdin")),
    (NIXOPS, "script", ("phases", "userSetup", 0, "script")),
    (NIXOPS, "state file name", ("stateFiles", 0, "name")),
    (NIXOPS, "state file file", ("stateFiles", 0, "file")),
    (NIXOPS, "prebuilt", ("prebuilt",)),
    (NIXOPS, "details.name", ("details", "name")),
    (NIXOPS, "details.networkFiles", ("details", "networkFiles")),
    (NIXOPS, "details.networkFiles entry", ("details", "networkFiles", 1)),
    (NIXOPS, "details.networkArgs", ("details", "networkArgs")),
    (NIXOPS, "details.action", ("details", "action")),
    (NIXOPS, "details.stateName", ("details", "stateName")),
    (NIXOPS, "details.prebuild", ("details", "prebuild")),
    (NIXOPS2, "details.name", ("details", "name")),
    (NIXOPS2, "details.networkFiles", ("details", "networkFiles")),
    (NIXOPS2, "details.deployArgs", ("details", "deployArgs")),
    (NIXOPS2, "details.forgetState", ("details", "forgetState")),
    (CACHIX, "details.deploy", ("details", "deploy")),
    (CACHIX, "details.deploy.agents", ("details", "deploy", "agents")),
    (CACHIX, "an agent's store path", ("details", "deploy", "agents", "machine1")),
    (CACHIX, "details.deployJsonFile", ("details", "deployJsonFile")),
    (CACHIX, "details.async", ("details", "async")),
    (CACHIX, "details.activateSecret", ("details", "activateSecret")),
    (CACHIX, "secretsMap (no activate key needed)", ("secretsMap",)),
    (CACHIX, "deploy.json content", ("files", "<deploy.json>", "json")),
    (CACHIX, "a file", ("files", "<deploy.json>")),
    (MKEFFECT, "derivation outPath", ("inputs", 0, "outPath")),
    (MKEFFECT, "derivation name", ("inputs", 0, "derivation")),
    (GITWRITE, "argument value", ("arguments", "contents", "value")),
]
# fmt: on


@pytest.mark.parametrize(
    ("example", "path"),
    [
        pytest.param(example, path, id=f"{example}: {what}")
        for example, what, path in UNKNOWN_PLACES
    ],
)
def test_unknown_is_accepted(example: str, path: tuple[str | int, ...]) -> None:
    doc = document(example)
    _set(*path, value=unknown())(doc)
    assert validate_document(doc) == []


def test_action_flag_is_unknown_exactly_when_the_action_is() -> None:
    doc = document(NIXOPS)
    effect_of(doc)["details"]["action"] = unknown("config.action")
    assert validate_document(doc) == []  # a known flag for an unknown action: not checked
    effect_of(doc)["details"]["actionFlag"] = [unknown("config.action")]
    assert validate_document(doc) == []
    effect_of(doc)["details"]["actionFlag"] = unknown("config.action")
    assert validate_document(doc) == []
    effect_of(doc)["details"]["action"] = "dry-run"
    (problem,) = validate_document(doc)
    assert problem.pointer == "/effects/0/details/actionFlag"
    assert problem.message.startswith("['--dry-run'] was expected")


def test_deploy_in_descriptions_is_deploy_schema_with_unknowns() -> None:
    """runCachixDeploy's unknown-tolerant deploy has the fields of deploy.schema.json and
    accepts its examples."""
    deploy = SCHEMA_DATA["deploy.schema.json"]
    tolerant = SCHEMA_DATA[CD]["$defs"]["deploy"]
    assert list(tolerant["properties"]) == list(deploy["properties"])
    # Fields cachix ignores are allowed in both; `agents`, which cachix requires, only in
    # deploy.json itself: a description may be of an effect that never runs (runIf false).
    assert "additionalProperties" not in tolerant and "additionalProperties" not in deploy
    assert deploy["required"] == ["agents"] and "required" not in tolerant
    validator = Draft202012Validator({"$ref": f"{BASE}{CD}#/$defs/deploy"}, registry=REGISTRY)
    for example in deploy["examples"]:
        assert [e.message for e in validator.iter_errors(example)] == []


def test_rollback_scripts_and_derivations_in_deploy() -> None:
    doc = document(CACHIX)
    deploy = {
        "agents": {
            "machine1": STORE_PATH,
            "machine2": {"derivation": "nixos-system-machine2", "outPath": unknown()},
        },
        "rollbackScript": {"x86_64-linux": unknown('pkgs.writeShellScript "rollback"')},
    }
    effect_of(doc)["details"]["deploy"] = deploy
    effect_of(doc)["files"]["<deploy.json>"] = {"json": deploy}
    assert validate_document(doc) == []


def test_paths_and_derivations_in_env() -> None:
    doc = document(NIXOPS)
    env = effect_of(doc)["env"]
    env["src"] = {"path": "./.", "filtered": True}
    env["prebuilt"] = {"derivation": "nixops-prebuilt-foo", "outPath": unknown()}
    assert validate_document(doc) == []
    env["src"]["filtered"] = False
    (problem,) = validate_document(doc)
    assert problem.pointer == "/effects/0/env/src/filtered"


def test_value_encodings_are_accepted_in_arguments() -> None:
    doc = document(MKEFFECT)
    effect_of(doc)["arguments"]["misc"] = {
        "value": {
            "f": {"function": "lambda"},
            "g": {"function": "builtin map"},
            "p": {"path": "./a"},
            "s": {"path": "./.", "filtered": True},
            "d": {"derivation": "x", "outPath": unknown()},
            "n": [None, 1, 2.5, True, "x", [], {}],
        },
        "at": "ci.nix:1:1",
    }
    assert validate_document(doc) == []


def test_not_modelled_functions_share_one_schema() -> None:
    for function in NOT_MODELLED_FUNCTIONS:
        doc = document(NIXOS)
        effect_of(doc)["function"] = function
        assert validate_document(doc) == [], function


# --------------------------------------------------------------------------------------
# validate_document's reporting


def test_one_problem_per_effect_in_document_order() -> None:
    doc = document(NIXOPS)
    good, bad1, bad2 = (copy.deepcopy(effect_of(doc)) for _ in range(3))
    bad1["details"]["action"] = "swtich"
    bad1["mode"] = "maybe"  # a second error in the same effect: still one problem
    bad2["secretsMap"]["aws"] = {"type": "Token"}
    doc["effects"] = [good, bad1, bad2]
    doc["ciEval"] = "dev"
    problems = validate_document(doc)
    assert [p.pointer.split("/")[1:3] for p in problems] == [
        ["ciEval"],
        ["effects", "1"],
        ["effects", "2"],
    ]
    assert problems[0].schema == D
    assert problems[2] == SchemaProblem(
        "/effects/2/secretsMap/aws/type", "'GitToken' was expected", N1
    )


def test_pointer_escapes_slash_and_tilde() -> None:
    doc = document(NIXOPS)
    effect_of(doc)["env"]["a/b~c"] = 1
    (problem,) = validate_document(doc)
    assert problem.pointer == "/effects/0/env/a~1b~0c"


def test_not_an_object() -> None:
    (problem,) = validate_document([])  # type: ignore[arg-type]
    assert problem == SchemaProblem("", "[] is not of type 'object'", D)


def test_long_messages_are_cut() -> None:
    doc = document(NIXOPS)
    effect_of(doc)["details"]["networkArgs"] = ["x" * 1000]
    (problem,) = validate_document(doc)
    assert len(problem.message) <= 300 and problem.message.endswith("…")


def test_schema_problem_is_frozen() -> None:
    problem = SchemaProblem("/a", "m", D)
    with pytest.raises(AttributeError):
        problem.pointer = "/b"  # type: ignore[misc]


def test_importing_the_module_does_not_import_jsonschema() -> None:
    code = (
        "import sys\n"
        "import nixeval.effects.validate as v\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jsonschema', 'referencing')))\n"
        "assert v.validate_document({}) != []\n"
        "assert v._validator() is v._validator()\n"
        "print('jsonschema' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.splitlines() == ["[]", "True"]
