"""``--format text``: a description document as a readable summary.

Names, values, commands and scripts come from the project: each line is
`terminal.display_line`-d, so whatever a value holds it is shown escaped, on its line."""

from __future__ import annotations

import shlex
from typing import Any

from ..terminal import display_line
from .encode import is_unknown_json

PHASE_TITLES = {
    "getState": "get state",
    "userSetup": "user setup",
    "priorCheck": "prior check (a failure only warns)",
    "effect": "effect",
    "putState": "put state (also when the effect fails)",
    "effectCheck": "effect check",
}


def show(value: Any) -> str:
    """A JSON value of a description, short: unknowns as «unknown: …»."""
    if isinstance(value, dict):
        if is_unknown_json(value):
            return f"«unknown: {value['unknown']}»"
        if "path" in value:
            return str(value["path"])
        if "derivation" in value:
            return f"«derivation {value['derivation']}»"
        if "secret" in value and "field" in value:
            return f"<secret {value['secret']}.{value['field']}>"
        if "json" in value:
            return "(generated JSON)"
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value, ensure_ascii=False)


def argv_text(argv: list[Any]) -> str:
    """A step's command line as shell words; placeholders, ``~/`` paths and unknowns as shown."""
    return " ".join(
        shlex.quote(a) if isinstance(a, str) and not a.startswith(("<", "~/")) else show(a)
        for a in argv
    )


def when_words(when: dict[str, str]) -> str:
    """A step's ``when`` in words."""
    if "exists" in when:
        return f"if {when['exists']} exists"
    return f"if there is no {when['missing']}"


def step_lines(step: dict[str, Any]) -> list[str]:
    """A step as text: ``$ command`` (with its redirections, and when it runs), ``export``
    of a secret (as ``<secret NAME.FIELD>``; ``value`` if the step says how to name it),
    a user's script, or a backend's ``do`` in words."""
    if "do" in step:
        return [f"- {step['do']}"]
    if "run" in step:
        line = "$ " + argv_text(step["run"])
        if "stdin" in step:
            line += f" < {show(step['stdin'])}"
        if "stdout" in step:
            line += f" > {show(step['stdout'])}"
        notes = []
        if "when" in step:
            notes.append(when_words(step["when"]))
        if "failIfEmpty" in step:
            notes.append(f"fails if the output is empty: {step['failIfEmpty']}")
        return [line + (f"    # {'; '.join(notes)}" if notes else "")]
    if "export" in step:
        value = step.get("value", f"<secret {step['secret']}.{step['field']}>")
        return [f"export {step['export']}={value}"]
    lines = [f"# {step.get('from', 'script')}:"]
    lines += [f"  {line}" for line in show(step.get("script", "")).rstrip("\n").split("\n")]
    return lines


def render_effect(effect: dict[str, Any]) -> str:
    out = [f"{effect['attrPath'] or '(root)'}: {effect['function']} at {effect['at']}"]
    if effect["mode"] == "run":
        out.append("  runs on this checkout")
    else:
        out.append("  dependencies only: the effect does not run on this checkout")
    if "runIf" in effect:
        r = effect["runIf"]
        out.append(f"  runIf {r['expression']} is {str(r['condition']).lower()} ({r['at']})")
    if "notModelled" in effect:
        out.append(f"  not modelled: {effect['notModelled']}")
    out.append(f"  name: {show(effect['name'])}")
    for secret in effect["secrets"]:
        fields = ", ".join(secret["fields"]) or "fields not known"
        out.append(f"  secret {secret['name']} = {show(secret['secret'])} ({fields})")
    for state in effect["stateFiles"]:
        access = "read and written" if state["write"] else "read"
        out.append(f"  state file {show(state['name'])} ({state['file']}), {access}")
    for name, value in effect["env"].items():
        out.append(f"  env {name}={show(value)}")
    for name, content in effect["files"].items():
        out.append(f"  file {name}: {show(content)}")
    for phase, steps in effect["phases"].items():
        out.append(f"  {PHASE_TITLES.get(phase, phase)}:")
        for step in steps:
            out += [f"    {line}" for line in step_lines(step)]
    if effect["prebuilt"] is not None:
        out.append(f"  prebuilt: {show(effect['prebuilt'])}")
    return "\n".join(display_line(line) for line in out) + "\n"


def render_text(document: dict[str, Any]) -> str:
    checkout = document["checkout"]
    where = checkout.get("ref") or "an unknown ref"
    head = display_line(f"{document['file']} on {where}: {len(document['effects'])} effect(s)")
    head += "\n"
    schedules = document.get("schedules", {})
    if schedules:
        head += "".join(
            display_line(f"scheduled: {job} {s['shown']}") + "\n" for job, s in schedules.items()
        )
    text = head + "".join("\n" + render_effect(e) for e in document["effects"])
    unknowns = document.get("unknowns", [])
    if unknowns:
        text += f"\n{len(unknowns)} attribute(s) unknown offline, which might hold effects:\n"
        text += "".join(
            f"  {display_line(u['attrPath'] or '(the file)')}: {display_line(u['unknown'])}\n"
            for u in unknowns
        )
    for item in document.get("sources", {}).get("inputs", []):
        if item["from"] == "missing":
            text += display_line(f"not available: {item['input']} ({item['pinned']})") + "\n"
    return text
