"""What each effect function does when the effect runs, phase by phase
(hercules-effects.md §3.4, §4.3, §5.3, §6.2), as description steps:

    {"run": ARGV}                 a command (or a setup-hook function, by its name);
                                  optional "stdin", "stdout" (file names), "when"
                                  ({"exists": FILE} or {"missing": FILE}), "failIfEmpty"
                                  (the message when the "stdout" file came out empty)
    {"script": TEXT, "from": ARG} a user's bash text, as written
    {"export": VAR, "secret": LOCAL, "field": FIELD}

A function's own steps are used unless the user replaced the script that runs them; user
scripts and hooks (``preEffect`` …) are shown as script steps around them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from ..eval.force import force
from ..values import Attrs, Unknown
from .encode import JSON, Encoder, unknown_json

Step = dict[str, Any]

# (phase in the description, the mkEffect script that runs it, its hooks' name)
PHASES = (
    ("getState", "getStateScript", "GetState"),
    ("userSetup", "userSetupScript", "UserSetup"),
    ("priorCheck", "priorCheckScript", "PriorCheck"),
    ("effect", "effectScript", "Effect"),
    ("putState", "putStateScript", "PutState"),
    ("effectCheck", "effectCheckScript", "EffectCheck"),
)

# The setup hook's secret helpers and the data fields they need (§3.4). writeSSHKey reads
# `publicKey` only if it is there: without it, it derives the key (ssh-keygen -y).
HELPER_FIELDS = {
    "writeAWSSecret": ("aws", ("aws_access_key_id", "aws_secret_access_key")),
    "writeSSHKey": ("ssh", ("privateKey",)),
    "writeDockerKey": ("docker", ("clientKey", "clientCertificate", "CACertificate")),
    "writeGPGKey": ("gpg", ("privateKey",)),
}
_HELPER_CALL = re.compile(r"\b(writeAWSSecret|writeSSHKey|writeDockerKey|writeGPGKey)\b([^\n;|&]*)")
_READ_SECRET = re.compile(r"\breadSecret(?:String|JSON)\s+(\S+)\s+\.([A-Za-z0-9_\-]+)")


class Plan:
    """The function-specific part of a description."""

    __slots__ = ("details", "env", "fields", "files", "phases", "state_files")

    def __init__(self) -> None:
        self.phases: dict[str, list[Step]] = {}
        self.env: dict[str, JSON] = {}
        self.state_files: list[dict[str, Any]] = []
        self.files: dict[str, JSON] = {}
        self.details: dict[str, JSON] = {}
        self.fields: dict[str, set[str]] = {}  # local secret -> data fields


class Effect:
    """One effect value: its user arguments and derivation attributes, forced on demand."""

    def __init__(self, encoder: Encoder, args: Attrs, drv: Attrs) -> None:
        self.encoder = encoder
        self.args = args
        self.drv = drv

    def given(self, name: str) -> bool:
        return name in self.args.items

    def attr(self, name: str, default: Any = None) -> Any:
        """A derivation attribute (the library's defaults filled in), forced."""
        item = self.drv.items.get(name)
        return default if item is None else force(item)

    def arg(self, name: str, default: Any = None) -> Any:
        item = self.args.items.get(name)
        return default if item is None else force(item)

    def json(self, value: Any) -> JSON:
        return self.encoder.encode(value)

    @functools.cached_property
    def secrets_map(self) -> JSON:
        """The derivation's ``secretsMap`` (a JSON string there), parsed; an unknown stays
        one."""
        text = self.attr("secretsMap", "{}")
        if type(text) is Unknown:
            return unknown_json(text)
        try:
            parsed = json.loads(str(text))
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    def text(self, name: str) -> JSON:
        """A bash text attribute, as a string or an unknown."""
        value = self.attr(name, "")
        return str(value) if isinstance(value, str) else self.json(value)


def user_script(effect: Effect, name: str) -> list[Step]:
    """The user's (or a default's) bash text in `name`, if any."""
    text = effect.text(name)
    if text == "" or text is None:
        return []
    return [{"script": text, "from": name}]


def plan_for(function: str, effect: Effect) -> Plan:
    plan = Plan()
    own = OWN_STEPS.get(function)
    # The scripts and hooks the function writes itself (user texts for them are ignored).
    owned = own(effect, plan) if own is not None else set()
    phases: dict[str, list[Step]] = {}
    for phase, script, hook in PHASES:
        steps = plan.phases.get(phase)
        main = steps if steps is not None else user_script(effect, script)
        before = user_script(effect, f"pre{hook}") if f"pre{hook}" not in owned else []
        after = user_script(effect, f"post{hook}") if f"post{hook}" not in owned else []
        if before or main or after:
            phases[phase] = before + main + after
    plan.phases = phases
    for steps in phases.values():
        for step in steps:
            if "script" in step and isinstance(step["script"], str):
                scan_secret_reads(step["script"], plan.fields)
    return plan


def scan_secret_reads(text: str, fields: dict[str, set[str]]) -> None:
    """The secret fields a bash text reads through the setup hook's helpers."""
    for m in _HELPER_CALL.finditer(text):
        default, names = HELPER_FIELDS[m.group(1)]
        words = m.group(2).split()
        local = words[0] if words else default
        fields.setdefault(local.strip("'\""), set()).update(names)
    for m in _READ_SECRET.finditer(text):
        fields.setdefault(m.group(1).strip("'\""), set()).add(m.group(2))


def _strings(value: Any, effect: Effect) -> list[JSON]:
    """A list of strings (network files) as argv entries; an unknown stays one."""
    if type(value) is list:
        return [effect.json(v) for v in value]
    return [effect.json(value)]


# --- runCachixDeploy (§4) -------------------------------------------------------------------

DEPLOY_JSON = "<deploy.json>"


def _cachix(effect: Effect, plan: Plan) -> set[str]:
    is_async = effect.arg("async", False)
    plan.phases["userSetup"] = [
        {"export": "CACHIX_ACTIVATE_TOKEN", "secret": "activate", "field": "cachixActivateToken"}
    ]
    plan.env["CACHIX_ACTIVATE_TOKEN"] = {"secret": "activate", "field": "cachixActivateToken"}
    plan.fields.setdefault("activate", set()).add("cachixActivateToken")
    overridden = {"userSetupScript"}
    if not effect.given("effectScript"):
        argv: list[JSON] = ["cachix", "deploy", "activate", DEPLOY_JSON]
        if is_async is True:
            argv.append("--async")
        elif type(is_async) is Unknown:
            argv.append(effect.json(is_async))
        plan.phases["effect"] = [{"run": argv}]
    if effect.given("deploy"):
        plan.files[DEPLOY_JSON] = {"json": effect.json(effect.arg("deploy"))}
        plan.details["deploy"] = effect.json(effect.arg("deploy"))
        plan.details["deployJsonFile"] = None
    else:
        file = effect.json(effect.arg("deployJsonFile"))
        plan.files[DEPLOY_JSON] = file if isinstance(file, dict) else {"path": file}
        plan.details["deploy"] = None
        plan.details["deployJsonFile"] = file
    plan.details["async"] = is_async if type(is_async) is bool else effect.json(is_async)
    plan.details["activateSecret"] = effect.secrets_map.get("activate", "default-cachix-activate")
    return overridden


# --- runNixOps (§5) -----------------------------------------------------------------------

ACTION_FLAGS = {
    "switch": [],
    "dry-run": ["--dry-run"],
    "plan": ["--plan-only"],
    "build": ["--build-only"],
    "create": ["--create-only"],
    "copy": ["--copy-only"],
    "dry-activate": ["--dry-activate"],
    "test": ["--test"],
    "boot": ["--boot"],
}

NIXOPS_STATE_FILE = "nixops-state.json"
KNOWN_HOSTS_FILE = "~/.ssh/known_hosts"


def _action(effect: Effect) -> tuple[JSON, list[JSON]]:
    action = effect.arg("action", "switch")
    if isinstance(action, str) and action in ACTION_FLAGS:
        return action, list(ACTION_FLAGS[action])
    return effect.json(action), [effect.json(action)]


def _nixops(effect: Effect, plan: Plan) -> set[str]:
    name = effect.json(effect.arg("name"))
    action, flag = _action(effect)
    can_modify_state = action != "dry-run"
    state_name = effect.json(effect.attr("stateName"))
    known_hosts = effect.json(effect.attr("knownHostsName"))
    network_files = _strings(effect.attr("networkFiles"), effect)
    deploy_only = _strings(effect.attr("deployOnlyNetworkFiles", []), effect)
    network_args = effect.arg("networkArgs", Attrs({}))
    set_args: list[JSON] = []
    if type(network_args) is Attrs:
        for key in network_args.names():
            value = effect.json(network_args.items[key])
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
            escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
            set_args += ["--arg", key, f'builtins.fromJSON "{escaped}"']
    else:
        set_args.append(effect.json(network_args))
    exists = {"exists": NIXOPS_STATE_FILE}
    plan.phases["getState"] = [
        {"run": ["getStateFile", state_name, NIXOPS_STATE_FILE]},
        {"run": ["mkdir", "-p", "~/.ssh"]},
        {"run": ["getStateFile", known_hosts, KNOWN_HOSTS_FILE]},
        {"run": ["touch", KNOWN_HOSTS_FILE]},
        {"run": ["nixops", "import", "--include-keys"], "stdin": NIXOPS_STATE_FILE, "when": exists},
        {"run": ["nixops", "modify", *network_files, *deploy_only], "when": exists},
        {
            "run": ["nixops", "create", *network_files, *deploy_only],
            "when": {"missing": NIXOPS_STATE_FILE},
        },
        {"run": ["nixops", "set-args", *set_args]},
    ]
    if not effect.given("priorCheckScript"):
        plan.phases["priorCheck"] = [{"run": ["nixops", "check"]}]
    plan.phases["effect"] = [
        {"run": ["nixops", "--version"]},
        {"run": ["nixops", "deploy", "--confirm", "--allow-reboot", "--allow-recreate", *flag]},
    ]
    if can_modify_state:
        plan.phases["putState"] = [
            {
                "run": ["nixops", "export"],
                "stdout": NIXOPS_STATE_FILE,
                "failIfEmpty": "NixOps state export was empty. Upload cancelled.",
            },
            {"run": ["putStateFile", state_name, NIXOPS_STATE_FILE]},
            {"run": ["putStateFile", known_hosts, KNOWN_HOSTS_FILE]},
        ]
    else:
        plan.phases["putState"] = []
    if not effect.given("effectCheckScript") and can_modify_state:
        plan.phases["effectCheck"] = [{"run": ["nixops", "check"]}]
    plan.state_files = [
        {"name": state_name, "file": NIXOPS_STATE_FILE, "read": True, "write": can_modify_state},
        {"name": known_hosts, "file": KNOWN_HOSTS_FILE, "read": True, "write": can_modify_state},
    ]
    prebuild = effect.arg("prebuild", True)
    plan.details.update(
        {
            "name": name,
            "networkFiles": effect.json(effect.attr("networkFiles")),
            "prebuildOnlyNetworkFiles": effect.json(effect.arg("prebuildOnlyNetworkFiles", [])),
            "deployOnlyNetworkFiles": effect.json(effect.attr("deployOnlyNetworkFiles", [])),
            "networkArgs": effect.json(network_args),
            "action": action,
            "actionFlag": flag,
            "stateName": state_name,
            "knownHostsName": known_hosts,
            "prebuild": prebuild if type(prebuild) is bool else effect.json(prebuild),
        }
    )
    return {"getStateScript", "putStateScript", "effectScript", "postGetState", "prePutState"}


# --- runNixOps2 (§6) ----------------------------------------------------------------------


def _nixops2(effect: Effect, plan: Plan) -> set[str]:
    action, flag = _action(effect)
    deploy_args: list[JSON] = list(flag)
    allow_reboot = effect.arg("allowReboot", True)
    allow_recreate = effect.arg("allowRecreate", True)
    if allow_reboot is True:
        deploy_args.append("--allow-reboot")
    if allow_recreate is True:
        deploy_args.append("--allow-recreate")
    extra = effect.arg("extraDeployArgs", [])
    deploy_args += _strings(extra, effect) if extra != [] else []
    if not effect.given("priorCheckScript"):
        plan.phases["priorCheck"] = [{"run": ["nixops", "check"]}]
    effect_script = effect.arg("effectScript")
    if effect_script is None:
        plan.phases["effect"] = [{"run": ["nixops", "deploy", "--confirm", *deploy_args]}]
    if not effect.given("effectCheckScript"):
        plan.phases["effectCheck"] = [{"run": ["nixops", "check"]}]
    flake = effect.arg("flake")
    forget_state = effect.arg("forgetState", False)
    prebuild = effect.arg("prebuild", True)
    plan.details.update(
        {
            "name": effect.json(effect.arg("name")),
            "flake": None if flake is None else _flake_json(effect, flake),
            "networkFiles": effect.json(effect.arg("networkFiles")),
            "action": action,
            "deployArgs": deploy_args,
            "allowReboot": allow_reboot
            if type(allow_reboot) is bool
            else effect.json(allow_reboot),
            "allowRecreate": allow_recreate
            if type(allow_recreate) is bool
            else effect.json(allow_recreate),
            "forgetState": forget_state
            if type(forget_state) is bool
            else effect.json(forget_state),
            "prebuild": prebuild if type(prebuild) is bool else effect.json(prebuild),
        }
    )
    return set()


def _flake_json(effect: Effect, flake: Any) -> JSON:
    """A flake is big (all its outputs): show where it is, not what it holds."""
    if type(flake) is Attrs and "outPath" in flake.items:
        return {"flake": effect.json(flake.items["outPath"])}
    return effect.json(flake) if type(flake) is not Attrs else {"flake": None}


OWN_STEPS: dict[str, Callable[[Effect, Plan], set[str]]] = {
    "runCachixDeploy": _cachix,
    "runNixOps": _nixops,
    "runNixOps2": _nixops2,
}
