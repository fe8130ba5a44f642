"""The plan backend: what running the effects would do, phase by phase, without doing it.

For each effect: whether it runs on the description's ref, its phases in the order they
run (init, unpack, getState, userSetup, priorCheck, effect, putState, effectCheck) with
each command, the environment it gets (secret values as ``<secret NAME.FIELD>``, never a
value), the secrets it needs, the state files it reads and writes, and the unknowns it
depends on. Text by default; ``--format json`` gives the same as one JSON document.
"""

from __future__ import annotations

import json
from typing import IO, Any

from ..effects.encode import is_unknown_json
from ..effects.text import show, step_lines
from ..execution.model import RunEffect, SecretUse, is_secret_reference
from ..terminal import display_line
from . import Backend, RunRequest

PHASE_TITLES = {
    "init": "init",
    "unpack": "unpack",
    "getState": "getState",
    "userSetup": "userSetup",
    "priorCheck": "priorCheck (a failure only warns)",
    "effect": "effect",
    "putState": "putState (also when an earlier phase fails)",
    "effectCheck": "effectCheck",
}


class PlanBackend(Backend):
    name = "plan"
    summary = "what would happen, phase by phase (text or JSON)"

    def run(self, request: RunRequest, stdout: IO[str], stderr: IO[str]) -> int:
        plan = plan_document(request)
        if request.output == "json":
            stdout.write(json.dumps(plan, indent=2, ensure_ascii=False) + "\n")
        else:
            stdout.write(render(plan))
        stdout.flush()
        return 0


BACKEND = PlanBackend


def plan_document(request: RunRequest) -> dict[str, Any]:
    checkout = request.document["checkout"]
    plan: dict[str, Any] = {
        "file": request.document["file"],
        "ref": checkout.get("ref"),
        "effects": [_effect(e) for e in request.effects],
    }
    # Attributes that might hold effects but are unknown: what they hold is not planned.
    if request.document.get("unknowns"):
        plan["unknowns"] = request.document["unknowns"]
    return plan


def secret_reference(effect: RunEffect, local: Any, field: Any) -> str:
    """How a secret value is shown: ``<secret default-cachix-activate.cachixActivateToken>``."""
    use = effect.secret(str(local))
    name = use.secret if use is not None and use.secret is not None else str(local)
    return f"<secret {name}.{field}>"


def _effect(effect: RunEffect) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for name, value in effect.env.items():
        if is_secret_reference(value):
            env[name] = secret_reference(effect, value["secret"], value["field"])
        else:
            env[name] = value
    phases = []
    for phase, steps in effect.phases:
        shown = []
        for step in steps:
            if "export" in step:
                step = {**step, "value": secret_reference(effect, step["secret"], step["field"])}
            shown.append(step)
        phases.append({"phase": phase, "steps": shown})
    plan: dict[str, Any] = {
        "attrPath": effect.attr_path,
        "function": effect.function,
        "at": effect.at,
        "runs": effect.runs,
    }
    if effect.run_if is not None:
        plan["runIf"] = effect.run_if
    if effect.not_modelled is not None:
        plan["notModelled"] = effect.not_modelled
    plan.update(
        {
            "name": effect.name,
            "phases": phases,
            "env": env,
            "secrets": [_secret(s) for s in effect.secrets],
            "stateFiles": [
                {"name": s.name, "file": s.file, "read": s.read, "write": s.write}
                for s in effect.state_files
            ],
            "files": effect.files,
            "inputs": effect.inputs,
            "unknowns": [u.to_json() for u in effect.unknowns],
            "supplied": effect.supplied,
        }
    )
    return plan


def _secret(use: SecretUse) -> dict[str, Any]:
    return {
        "name": use.local,
        "secret": use.secret if use.secret is not None else {"type": "GitToken"},
        "fields": list(use.fields),
    }


# --- text ---------------------------------------------------------------------------------


def render(plan: dict[str, Any]) -> str:
    where = plan["ref"] or "an unknown ref"
    out = [f"{plan['file']} on {where}: {len(plan['effects'])} effect(s)"]
    for effect in plan["effects"]:
        out.append("")
        out += _render_effect(effect, where)
    for u in plan.get("unknowns", []):
        out += ["", f"{u['attrPath'] or '(root)'}: unknown, it might hold effects: {u['unknown']}"]
        out.append(f"  at {u.get('at', '?')}: not planned, and a run refuses it")
    # Names, values and commands come from the project: escaped, each on its line.
    return "\n".join(display_line(line) for line in out) + "\n"


def _render_effect(effect: dict[str, Any], where: str) -> list[str]:
    out = [f"{effect['attrPath'] or '(root)'}: {effect['function']} at {effect['at']}"]
    run_if = effect.get("runIf")
    if effect["runs"]:
        out.append(f"  runs on {where}")
    else:
        why = f": runIf {run_if['expression']} is false ({run_if['at']})" if run_if else ""
        out.append(f"  does not run on {where}{why}; nothing below happens there")
    if "notModelled" in effect:
        out.append(f"  not modelled: {effect['notModelled']} (its commands are not known)")
    out.append(f"  name: {show(effect['name'])}")
    if effect["secrets"]:
        out.append("  secrets:")
        for s in effect["secrets"]:
            fields = ", ".join(s["fields"]) or "fields not known"
            out.append(f"    {s['name']} = {show(s['secret'])} ({fields})")
    if effect["stateFiles"]:
        out.append("  state files:")
        for s in effect["stateFiles"]:
            access = "read, then written back" if s["write"] else "read only"
            out.append(f"    {show(s['name'])} as {s['file']}: {access}")
    if effect["env"]:
        out.append("  environment:")
        for name, value in effect["env"].items():
            out.append(f"    {name}={show(value)}")
    for name, content in effect["files"].items():
        out.append(f"  file {name}: {_file(content)}")
    for phase in effect["phases"]:
        out.append(f"  {PHASE_TITLES.get(phase['phase'], phase['phase'])}:")
        for step in phase["steps"]:
            out += [f"    {line}" for line in step_lines(step)]
    if effect["unknowns"]:
        out.append("  unknowns:")
        for u in effect["unknowns"]:
            need = "needed to run" if u["needed"] else "not needed to run"
            out.append(f"    {u['where']}: «{u['unknown']}» ({u['at']}), {need}")
    for key, value in effect["supplied"].items():
        out.append(f"  supplied: {key} = {value}")
    return out


def _file(content: Any) -> str:
    if isinstance(content, dict) and "json" in content:
        text = json.dumps(_shown(content["json"]), ensure_ascii=False)
        return f"written from the description's JSON: {text}"
    return show(content)


def _shown(value: Any) -> Any:
    """JSON with each unknown replaced by its short text (``«unknown: …»``)."""
    if isinstance(value, dict):
        if is_unknown_json(value):
            return show(value)
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value
