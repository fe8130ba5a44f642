"""schemas/deploy.schema.json, schemas/secrets.schema.json and nixeval.effects.secrets:
the schemas are valid Draft 2020-12, accept and reject the right documents, agree with the
agent-style parser, and no secret value ever shows in an error message or a repr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from nixeval.effects.secrets import (
    And,
    Condition,
    ConditionError,
    Const,
    IsBranch,
    IsDefaultBranch,
    IsOwner,
    IsRepo,
    IsTag,
    Or,
    Pretend,
    Secret,
    SecretsError,
    evaluate_condition,
    grant,
    load_secrets,
    local_secrets_path,
    parse_condition,
    parse_secrets,
    schema_path,
    uses_default_branch,
)
from nixeval.effects.secrets import condition_to_json as to_json

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"

#: A distinctive secret value: it must never appear in any message or repr.
TOKEN = "TOPSECRET-7f3a9c-DO-NOT-PRINT"

SP = "/nix/store/0c4gxp2jrw0b4a3h6bfp6z2dlrxsy64n-nixos-system-machine1-23.11"
SP2 = "/nix/store/2abcdfghijklmnpqrsvwxyz012345678-rollback.sh"


def _schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return data


DEPLOY = _schema("deploy.schema.json")
SECRETS = _schema("secrets.schema.json")


# --------------------------------------------------------------------------------------
# Both schemas


@pytest.mark.parametrize(
    ("schema", "name"), [(DEPLOY, "deploy.schema.json"), (SECRETS, "secrets.schema.json")]
)
def test_schema_is_valid_draft_2020_12_with_id(schema: dict[str, Any], name: str) -> None:
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://ci-eval.invalid/schemas/{name}"
    assert schema["title"] and schema["description"]
    assert schema["examples"]
    for example in schema["examples"]:
        Draft202012Validator(schema).validate(example)


def test_secrets_module_finds_its_schema() -> None:
    assert json.loads(schema_path().read_text(encoding="utf-8")) == SECRETS


# --------------------------------------------------------------------------------------
# deploy.schema.json

DEPLOY_GOOD: list[Any] = [
    {"agents": {"machine1": SP}},
    {"agents": {}},
    {"agents": {"a": SP, "b": SP2}},
    {"agents": {"machine1": SP}, "rollbackScript": {"x86_64-linux": SP2}},
    {"agents": {"machine1": SP}, "rollbackScript": {}},
    {"agents": {"m": SP}, "rollbackScript": {"x86_64-linux": SP2, "aarch64-darwin": SP2}},
    {"agents": {"host.example.org": SP}},
    {"agents": {"m": SP + "/bin/switch"}},
    {"agents": {"m": "/nix/store/00000000000000000000000000000000-x"}},
    {"agents": {"m": "/nix/store/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-home-manager-generation"}},
    {"agents": {"": SP}},
    {"agents": {"m": "/nix/store/abcdfghijklmnpqrsvwxyz0123456789-a.b+c_d?e=f"}},
    {"agents": {"darwin": SP, "nixos": SP2}, "rollbackScript": {"aarch64-linux": SP}},
    {"agents": {"m": SP}, "rollbackScript": {"i686-linux": SP2}},
    {"agents": {f"agent{i}": SP for i in range(20)}},
    {"agents": {"m": "/nix/store/1xd4l9gr8w6k3m5n7p9q2r4s6v8w0y2z-nixos-system-m"}},
    # Fields cachix's generic decoder ignores (ci-eval warns about them, W204).
    {"agents": {"m": SP}, "extra": 1},
    {"agents": {"m": SP}, "rollbackScripts": {"x86_64-linux": SP2}},
]

DEPLOY_BAD: list[Any] = [
    {},
    [],
    "deploy.json",
    None,
    {"agent": {"m": SP}},  # singular: the repo's own runCachixDeploy test has this typo
    {"agents": []},
    {"agents": [SP]},
    {"agents": {"m": 1}},
    {"agents": {"m": None}},
    {"agents": {"m": "/nix/store/short-name"}},
    {"agents": {"m": "nix/store/0c4gxp2jrw0b4a3h6bfp6z2dlrxsy64n-x"}},
    {"agents": {"m": "/nix/store/0c4gxp2jrw0b4a3h6bfp6z2dlrxsy64n"}},  # no name
    {"agents": {"m": "/nix/store/0c4gxp2jrw0b4a3h6bfp6z2dlrxsy64n-"}},  # empty name
    {"agents": {"m": "/nix/store/ecccccccccccccccccccccccccccccccc-x"}},  # e not base-32
    {"agents": {"m": "/nix/store/occcccccccccccccccccccccccccccccc-x"}},  # o not base-32
    {"agents": {"m": "/nix/store/tcccccccccccccccccccccccccccccccc-x"}},  # t not base-32
    {"agents": {"m": "/nix/store/uccccccccccccccccccccccccccccccccc-x"}},  # u not base-32
    {"agents": {"m": "/nix/store/0C4GXP2JRW0B4A3H6BFP6Z2DLRXSY64N-x"}},  # upper case
    {"agents": {"m": "/gnu/store/0c4gxp2jrw0b4a3h6bfp6z2dlrxsy64n-x"}},
    {"agents": {"m": SP}, "rollbackScript": None},
    {"agents": {"m": SP}, "rollbackScript": SP2},
    {"agents": {"m": SP}, "rollbackScript": {"x86_64-linux": "rollback.sh"}},
    {"rollbackScript": {"x86_64-linux": SP2}},
]


@pytest.mark.parametrize("doc", DEPLOY_GOOD)
def test_deploy_good(doc: Any) -> None:
    assert list(Draft202012Validator(DEPLOY).iter_errors(doc)) == []


@pytest.mark.parametrize("doc", DEPLOY_BAD)
def test_deploy_bad(doc: Any) -> None:
    assert list(Draft202012Validator(DEPLOY).iter_errors(doc)) != []


def test_deploy_example_counts() -> None:
    assert len(DEPLOY_GOOD) >= 15 and len(DEPLOY_BAD) >= 15


# --------------------------------------------------------------------------------------
# secrets.schema.json, checked against the agent-style parser as well


def _s(condition: Any = ..., **extra: Any) -> dict[str, Any]:
    secret: dict[str, Any] = {"kind": "Secret", "data": {"token": TOKEN}}
    if condition is not ...:
        secret["condition"] = condition
    secret.update(extra)
    return secret


SECRETS_GOOD: list[Any] = [
    {},
    {"s": _s({"isBranch": "main"})},
    {"s": _s()},  # no condition: valid format, never granted by agents >= 0.9
    {"s": _s(None)},  # null reads as absent
    {"s": _s(True)},
    {"s": _s(False)},
    {"s": _s("isDefaultBranch")},
    {"s": _s("isTag")},
    {"s": _s({"isRepo": "neat-network"})},
    {"s": _s({"isOwner": "neat-org"})},
    {"s": _s({"and": []})},
    {"s": _s({"or": []})},
    {"s": _s({"and": [{"isBranch": "production"}, {"isOwner": "neat-org"}]})},
    {"s": _s({"or": ["isTag", {"and": ["isDefaultBranch", {"or": [True]}]}]})},
    {"s": {"kind": "Secret", "data": {}, "condition": True}},
    {"s": {"kind": "Secret", "data": {"nested": {"a": [1, 2, None]}, "n": 3}, "condition": True}},
    {"s": _s(True, comment="unknown fields are ignored by the agent")},
    {"a": _s(True), "b": _s({"isBranch": ""})},
    {"weird/name~": _s(True)},
]

SECRETS_BAD: list[Any] = [
    [],
    "secrets",
    None,
    {"s": []},
    {"s": TOKEN},
    {"s": {"data": {"token": TOKEN}, "condition": True}},  # no kind
    {"s": _s(True, kind="secret")},
    {"s": _s(True, kind="Secrets")},
    {"s": _s(True, kind=1)},
    {"s": _s(True, apiVersion="v1")},
    {"s": _s(True, apiVersion=None)},
    {"s": {"kind": "Secret", "condition": True}},  # no data
    {"s": {"kind": "Secret", "data": [TOKEN], "condition": True}},
    {"s": {"kind": "Secret", "data": TOKEN, "condition": True}},
    {"s": {"kind": "Secret", "data": None, "condition": True}},
    {"s": _s({})},
    {"s": _s({"isBranch": "main", "isOwner": "o"})},
    {"s": _s({"not": True})},
    {"s": _s({"isbranch": "main"})},
    {"s": _s({"isDefaultBranch": True})},
    {"s": _s({"isBranch": 1})},
    {"s": _s({"isBranch": None})},
    {"s": _s({"isRepo": ["r"]})},
    {"s": _s({"isOwner": {"name": "o"}})},
    {"s": _s({"and": True})},
    {"s": _s({"or": {"isTag": True}})},
    {"s": _s({"and": [{}]})},
    {"s": _s({"or": ["isTag", {"and": [1]}]})},
    {"s": _s({"and": [None]})},
    {"s": _s("isBranch")},
    {"s": _s("istag")},
    {"s": _s(1)},
    {"s": _s(["isTag"])},
    {"good": _s(True), "bad": _s(0)},
]


@pytest.mark.parametrize("doc", SECRETS_GOOD)
def test_secrets_good(doc: Any) -> None:
    assert list(Draft202012Validator(SECRETS).iter_errors(doc)) == []
    parsed = parse_secrets(doc, "good.json")
    assert sorted(parsed) == sorted(doc)


@pytest.mark.parametrize("doc", SECRETS_BAD)
def test_secrets_bad(doc: Any) -> None:
    assert list(Draft202012Validator(SECRETS).iter_errors(doc)) != []
    with pytest.raises(SecretsError) as info:
        parse_secrets(doc, "bad.json")
    assert info.value.source == "bad.json"
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)


def test_secrets_example_counts() -> None:
    assert len(SECRETS_GOOD) >= 15 and len(SECRETS_BAD) >= 15


@pytest.mark.parametrize("path", sorted(ROOT.glob("fixtures/*/secrets.json")), ids=str)
def test_fixture_secrets_validate(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator(SECRETS).validate(doc)
    secrets = load_secrets(path)
    assert secrets and all(s.condition is not None for s in secrets.values())


def test_there_are_fixture_secrets() -> None:
    assert len(list(ROOT.glob("fixtures/*/secrets.json"))) >= 3


def test_parsed_fixture() -> None:
    secrets = load_secrets(ROOT / "fixtures" / "typical" / "secrets.json")
    ssh = secrets["neat-deploy-ssh"]
    assert ssh.name == "neat-deploy-ssh"
    assert ssh.condition == And((IsBranch("production"), IsOwner("neat-org")))
    assert set(ssh.data) == {"privateKey", "publicKey"}


# --------------------------------------------------------------------------------------
# Condition forms and parse errors

CONDITION_FORMS: list[tuple[Any, Condition]] = [
    ({"and": [True, "isTag"]}, And((Const(True), IsTag()))),
    ({"and": []}, And(())),
    ({"or": [False, {"isBranch": "b"}]}, Or((Const(False), IsBranch("b")))),
    ({"or": []}, Or(())),
    ("isDefaultBranch", IsDefaultBranch()),
    ("isTag", IsTag()),
    ({"isBranch": "main"}, IsBranch("main")),
    ({"isRepo": "neat-network"}, IsRepo("neat-network")),
    ({"isOwner": "neat-org"}, IsOwner("neat-org")),
    (True, Const(True)),
    (False, Const(False)),
    (
        {"and": [{"or": ["isDefaultBranch", "isTag"]}, {"isOwner": "o"}]},
        And((Or((IsDefaultBranch(), IsTag())), IsOwner("o"))),
    ),
]


@pytest.mark.parametrize(("value", "expected"), CONDITION_FORMS)
def test_condition_form(value: Any, expected: Condition) -> None:
    assert parse_condition(value) == expected
    assert to_json(expected) == value
    assert list(Draft202012Validator(SECRETS).iter_errors({"s": _s(value)})) == []


FIELDS_MESSAGE = (
    "The field name in a Condition object must be one of and, or, isBranch, isRepo, isOwner."
)

CONDITION_ERRORS: list[tuple[Any, str, str]] = [
    ({}, "The empty object does not represent a Condition.", ""),
    ({"isTag": True, "isBranch": "x"}, "A Condition object must contain a single field.", ""),
    ({"not": True}, FIELDS_MESSAGE, ""),
    ({"isDefaultBranch": True}, FIELDS_MESSAGE, ""),
    (1, "Expected Object, String or true.", ""),
    (None, "Expected Object, String or true.", ""),
    ([True], "Expected Object, String or true.", ""),
    ("isMaster", "A Condition string must be one of isDefaultBranch, isTag.", ""),
    ({"isBranch": 1}, "parsing Text failed, expected String, but encountered Number", "/isBranch"),
    ({"isRepo": None}, "parsing Text failed, expected String, but encountered Null", "/isRepo"),
    ({"isOwner": []}, "parsing Text failed, expected String, but encountered Array", "/isOwner"),
    ({"and": {}}, "parsing [] failed, expected Array, but encountered Object", "/and"),
    ({"or": "isTag"}, "parsing [] failed, expected Array, but encountered String", "/or"),
    (
        {"and": [True, {"or": [{}]}]},
        "The empty object does not represent a Condition.",
        "/and/1/or/0",
    ),
    ({"or": [True, False, 2.5]}, "Expected Object, String or true.", "/or/2"),
]


@pytest.mark.parametrize(("value", "message", "pointer"), CONDITION_ERRORS)
def test_condition_parse_error(value: Any, message: str, pointer: str) -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition(value)
    assert str(info.value) == message
    assert info.value.pointer == pointer


def test_condition_error_inside_secrets_points_at_it() -> None:
    with pytest.raises(SecretsError) as info:
        parse_secrets({"a/b": _s({"and": [True, {"isBranch": 3}]})}, "x.json")
    assert str(info.value) == "parsing Text failed, expected String, but encountered Number"
    assert info.value.pointer == "/a~1b/condition/and/1/isBranch"


# --------------------------------------------------------------------------------------
# secrets.json errors (agent wording and order)

SECRETS_ERRORS: list[tuple[Any, str, str]] = [
    ([], "parsing Map failed, expected Object, but encountered Array", ""),
    ({"s": 1}, "parsing Secret failed, expected Object, but encountered Number", "/s"),
    ({"s": {"data": {"t": TOKEN}}}, 'key "kind" not found', "/s"),
    (
        {"s": _s(True, kind=True)},
        "parsing Text failed, expected String, but encountered Boolean",
        "/s/kind",
    ),
    # The agent's message goes on ", not <the kind>": not here, the kind may be a value.
    ({"s": _s(True, kind="secret")}, 'kind field must be "Secret"', "/s/kind"),
    ({"s": _s(True, apiVersion="1")}, "Unexpected apiVersion field.", "/s/apiVersion"),
    # kind is checked before apiVersion, apiVersion before data
    ({"s": {"kind": "K", "apiVersion": 1}}, 'kind field must be "Secret"', "/s/kind"),
    ({"s": {"kind": "Secret", "apiVersion": 1}}, "Unexpected apiVersion field.", "/s/apiVersion"),
    ({"s": {"kind": "Secret"}}, 'key "data" not found', "/s"),
    (
        {"s": {"kind": "Secret", "data": TOKEN}},
        "parsing Map failed, expected Object, but encountered String",
        "/s/data",
    ),
    ({"s": _s({})}, "The empty object does not represent a Condition.", "/s/condition"),
]


@pytest.mark.parametrize(("doc", "message", "pointer"), SECRETS_ERRORS)
def test_secrets_error_message(doc: Any, message: str, pointer: str) -> None:
    with pytest.raises(SecretsError) as info:
        parse_secrets(doc, "secrets.json")
    assert str(info.value) == message
    assert info.value.pointer == pointer
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)


def test_load_secrets_bad_json_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "secrets.json"
    bad.write_text('{"s": {"kind": "Secret", "data": {"t": "' + TOKEN + '"}', encoding="utf-8")
    with pytest.raises(SecretsError) as info:
        load_secrets(bad)
    assert str(info.value).startswith("invalid JSON: ")
    assert info.value.where() == f"{bad}:1:{len(bad.read_text()) + 1}"
    assert info.value.source == str(bad)
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    with pytest.raises(SecretsError) as missing:
        load_secrets(tmp_path / "nope.json")
    assert str(missing.value) == "no such file"


def test_load_secrets_round_trip(tmp_path: Path) -> None:
    f = tmp_path / "secrets.json"
    f.write_text(json.dumps({"s": _s({"isBranch": "main"})}), encoding="utf-8")
    secrets = load_secrets(f)
    assert secrets["s"].data == {"token": TOKEN}
    assert secrets["s"].condition == IsBranch("main")


# --------------------------------------------------------------------------------------
# Pretend and evaluate_condition


def test_pretend_from_options() -> None:
    p = Pretend.from_options(as_branch="main")
    assert (p.ref, p.branch, p.tag) == ("refs/heads/main", "main", None)
    p = Pretend.from_options(as_tag="v1.0")
    assert (p.ref, p.branch, p.tag) == ("refs/tags/v1.0", None, "v1.0")
    p = Pretend.from_options(as_ref="refs/heads/feature/x")
    assert (p.ref, p.branch, p.tag) == ("refs/heads/feature/x", "feature/x", None)
    p = Pretend.from_options(as_ref="refs/tags/v2")
    assert (p.ref, p.branch, p.tag) == ("refs/tags/v2", None, "v2")
    p = Pretend.from_options(as_ref="refs/pull/1/head", repo="r", owner="o", default_branch="m")
    assert (p.ref, p.branch, p.tag, p.repo, p.owner, p.default_branch) == (
        "refs/pull/1/head",
        None,
        None,
        "r",
        "o",
        "m",
    )
    p = Pretend.from_options()
    assert (p.ref, p.branch, p.tag) == (None, None, None)
    with pytest.raises(ValueError):
        Pretend.from_options(as_branch="a", as_tag="b")
    with pytest.raises(ValueError):
        Pretend.from_options(as_branch="a", as_ref="refs/heads/a")


MAIN = Pretend.from_options(as_branch="main", repo="app", owner="org", default_branch="main")
PROD = Pretend.from_options(as_branch="production", repo="app", owner="org", default_branch="main")
TAG = Pretend.from_options(as_tag="v1.0", repo="app", owner="other", default_branch="main")
PR = Pretend.from_options(as_ref="refs/pull/7/head", repo="fork", owner="org")
UNKNOWN = Pretend.from_options(as_branch="main")  # no repo, owner or default branch
NOREF = Pretend.from_options(repo="app", owner="org", default_branch="main")
PRETENDS = [MAIN, PROD, TAG, PR, UNKNOWN, NOREF]

TRUTH: list[tuple[Condition, list[bool]]] = [
    # columns: MAIN, PROD, TAG, PR, UNKNOWN, NOREF (the order of PRETENDS)
    (Const(True), [True, True, True, True, True, True]),
    (Const(False), [False, False, False, False, False, False]),
    (IsDefaultBranch(), [True, False, False, False, False, False]),
    (IsTag(), [False, False, True, False, False, False]),
    (IsBranch("main"), [True, False, False, False, True, False]),
    (IsBranch("production"), [False, True, False, False, False, False]),
    (IsBranch("mai"), [False, False, False, False, False, False]),
    (IsBranch("v1.0"), [False, False, False, False, False, False]),
    (IsRepo("app"), [True, True, True, False, False, True]),
    (IsRepo("App"), [False, False, False, False, False, False]),
    (IsOwner("org"), [True, True, False, True, False, True]),
    (And(()), [True, True, True, True, True, True]),
    (Or(()), [False, False, False, False, False, False]),
    (And((IsBranch("production"), IsOwner("org"))), [False, True, False, False, False, False]),
    (Or((IsDefaultBranch(), IsTag())), [True, False, True, False, False, False]),
    (
        And((IsOwner("org"), Or((IsTag(), IsRepo("fork"))))),
        [False, False, False, True, False, False],
    ),
]


@pytest.mark.parametrize(("condition", "expected"), TRUTH)
def test_truth_table(condition: Condition, expected: list[bool]) -> None:
    assert [evaluate_condition(condition, p) for p in PRETENDS] == expected


class _Boom:
    """Not a Condition: evaluating it fails, so reaching it shows there was no short-circuit."""


def test_and_or_short_circuit() -> None:
    boom: Any = _Boom()
    assert evaluate_condition(And((Const(False), boom)), MAIN) is False
    assert evaluate_condition(Or((Const(True), boom)), MAIN) is True


def test_is_default_branch_unknown() -> None:
    assert UNKNOWN.is_default_branch is None and MAIN.is_default_branch is True
    assert uses_default_branch(Or((IsTag(), And((IsDefaultBranch(),)))))
    assert not uses_default_branch(And((IsTag(), IsBranch("main"), Const(True))))


# --------------------------------------------------------------------------------------
# grant


def _denied(name: str, local: str) -> str:
    return (
        f"Secret {name} does not exist or access was denied, so we can't get a secret for "
        f"{local}. Please make sure that the secret name matches a secret on your agents "
        "and make sure that its condition applies."
    )


SECRETS_FOR_GRANT = parse_secrets(
    {
        "main-only": _s({"isBranch": "main"}),
        "no-condition": _s(),
        "never": _s(False),
    },
    "grant.json",
)


def test_grant_allows() -> None:
    secret = grant(SECRETS_FOR_GRANT, "main-only", MAIN, "activate")
    assert secret.data == {"token": TOKEN}


@pytest.mark.parametrize(
    ("name", "pretend"),
    [("missing", MAIN), ("no-condition", MAIN), ("never", MAIN), ("main-only", PROD)],
)
def test_grant_denies(name: str, pretend: Pretend) -> None:
    with pytest.raises(SecretsError) as info:
        grant(SECRETS_FOR_GRANT, name, pretend, "activate")
    assert str(info.value) == _denied(name, "activate")
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)


# --------------------------------------------------------------------------------------
# No secret value in a repr


def test_secret_repr_hides_values() -> None:
    secret = Secret("s", {"token": TOKEN, "nested": {"x": TOKEN}}, IsBranch("main"))
    for text in (repr(secret), str(secret), repr({"s": secret}), f"{secret}"):
        assert TOKEN not in text
        assert "'token'" in text and "<redacted>" in text
    parsed = parse_secrets({"s": _s({"isBranch": "main"})}, "x.json")
    assert TOKEN not in repr(parsed)


# --------------------------------------------------------------------------------------
# The local secrets file of hci


def test_local_secrets_path() -> None:
    env = {"HOME": "/home/u"}
    assert local_secrets_path("github", "org", env) == Path(
        "/home/u/.config/hercules-ci/secrets/github/org/secrets.json"
    )
    env_xdg = {"HOME": "/home/u", "XDG_CONFIG_HOME": "/cfg"}
    assert local_secrets_path("github", "org", env_xdg) == Path(
        "/cfg/hercules-ci/secrets/github/org/secrets.json"
    )
    env_override = {**env_xdg, "HERCULES_CI_SECRETS_JSON": "/tmp/s.json"}
    assert local_secrets_path("github", "org", env_override) == Path("/tmp/s.json")


def test_schema_errors_do_not_quote_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # jsonschema's own messages quote the instance; ours must not. A stricter schema makes
    # the schema check (not the agent-style checks) reject a secret value.
    strict = json.loads(json.dumps(SECRETS))
    strict["$defs"]["secret"]["properties"]["data"]["additionalProperties"] = {"type": "number"}
    path = tmp_path / "strict.schema.json"
    path.write_text(json.dumps(strict), encoding="utf-8")
    monkeypatch.setattr("nixeval.effects.secrets.schema_path", lambda: path)
    with pytest.raises(SecretsError) as info:
        parse_secrets({"s": _s(True)}, "x.json")
    assert str(info.value).startswith("does not match the secrets.json schema (type at ")
    assert info.value.pointer == "/s/data/token"
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
