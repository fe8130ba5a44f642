"""An effect made by the real hercules-ci-effects, read off its derivation as the Hercules
CI agent reads it.

The agent runs the effect derivation's builder: stdenv's phases, named by ``phases``,
each a bash text in the derivation's environment (``effectPhase`` runs the hooks
``preEffect``/``postEffect`` around ``eval "$effectScript"``), with the setup hook's
functions (``getStateFile``, ``writeSSHKey``, ``readSecretString``, …) and the secrets of
``secretsMap`` (a JSON text). So the description is made of those attributes, plus
what ci-eval saw at the call (`library`): which function, each argument and where it
was written. An attribute that needs what is unknown offline is shown as unknown.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval.force import force
from ..values import Attrs, Unknown, context_of
from .calls import Call
from .commands import simple_commands
from .describe import arguments_json, environment
from .encode import JSON, Encoder, unknown_json
from .plans import scan_secret_reads

if TYPE_CHECKING:
    from ..eval.machine import Machine

# stdenv's phases an effect can run that a description shows (``initPhase`` is the
# same for every effect), by the name the description gives them.
PHASE_NAMES = {
    "unpackPhase": "unpack",
    "patchPhase": "patch",
    "getStatePhase": "getState",
    "userSetupPhase": "userSetup",
    "priorCheckPhase": "priorCheck",
    "effectPhase": "effect",
    "putStatePhase": "putState",
    "effectCheckPhase": "effectCheck",
}

_STATE_FILE = re.compile(r"\b(getStateFile|putStateFile)\s+(\S+)(?:\s+(\S+))?")


class Reader:
    """The attributes of one effect derivation, forced on demand; what needs an unknown
    is an unknown."""

    def __init__(self, encoder: Encoder, drv: Attrs) -> None:
        self.encoder = encoder
        self.drv = drv

    def attr(self, name: str, default: Any = None) -> Any:
        """A derivation attribute, forced (an unknown if it needs one)."""
        item = self.drv.items.get(name)
        if item is None:
            return default
        try:
            return force(item)
        except E.NeedsValue as err:
            return _unknown(err)

    def json(self, value: Any) -> JSON:
        try:
            return self.encoder.encode(value)
        except E.NeedsValue as err:
            return self.encoder.encode(_unknown(err))

    def attr_json(self, name: str, default: Any = None) -> JSON:
        return self.json(self.attr(name, default))

    def shown_text(self, name: str) -> JSON:
        """A bash text attribute as a description shows it: a string (``""`` when
        absent) or an unknown."""
        value = self.attr(name, "")
        return self.encoder.shown(str(value)) if isinstance(value, str) else self.json(value)

    def text(self, name: str) -> JSON:
        """`shown_text`, or None when the text is absent or blank."""
        shown = self.shown_text(name)
        return None if isinstance(shown, str) and not shown.strip() else shown

    def phase_names(self) -> list[str] | None:
        """The derivation's ``phases``, in order (None when it is not a known string)."""
        listed = self.attr("phases", "")
        return str(listed).split() if isinstance(listed, str) else None


def _unknown(err: E.NeedsValue) -> Unknown:
    """What an attribute that needs an unknown value is: that unknown."""
    unknown = err.unknown
    return unknown if type(unknown) is Unknown else Unknown(str(err.message))


def describe_read(
    machine: Machine,
    description: dict[str, JSON],
    call: Call,
    root: str,
    drv: Attrs,
    base: str,
    at: str,
) -> dict[str, JSON]:
    """Complete `description` (its place, function and mode already set) from the
    effect derivation `drv` that the library at `root` made for `call`."""
    from .library import library_of

    encoder = Encoder(machine, base, at)
    reader = Reader(encoder, drv)
    arguments = call.args if type(call.args) is Attrs else Attrs({})
    env = environment(reader)
    phases = _phases(reader, set(arguments.items), env)
    secrets_map = _secrets_map(reader)
    fields: dict[str, set[str]] = {}
    for text in [*_texts(phases), *_hook_texts(machine, reader)]:
        scan_secret_reads(_expanded(text, env), fields)
    library = library_of(machine, root)
    description.update(
        {
            "name": reader.attr_json("name", "effect"),
            "arguments": arguments_json(reader.json, arguments),
            "inputs": reader.attr_json("nativeBuildInputs", []),
            "secretsMap": secrets_map,
            "secrets": [
                {"name": local, "secret": ref, "fields": sorted(fields.get(local, ()))}
                for local, ref in sorted(secrets_map.items())
            ]
            if isinstance(secrets_map, dict) and "unknown" not in secrets_map
            else [],
            "env": env,
            "stateFiles": _state_files(phases, env),
            "files": {},
            "phases": phases,
            "prebuilt": reader.attr_json("prebuilt"),
            "library": {"kind": "source", "revision": library.revision, "path": library.path},
            "builder": _builder(reader),
        }
    )
    return description


def _secrets_map(reader: Reader) -> JSON:
    """``secretsMap``: a JSON text in the derivation (mkEffect writes it so), parsed."""
    text = reader.attr("secretsMap", "{}")
    if type(text) is Unknown:
        return unknown_json(text, reader.encoder.at)
    try:
        parsed = json.loads(str(text))
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _phases(
    reader: Reader, given: set[str], env: dict[str, JSON]
) -> dict[str, list[dict[str, JSON]]]:
    """Each phase the derivation runs that does something: the hooks and the script
    it evaluates (``preEffect``, ``effectScript``, ``postEffect``), or its own text
    when it does not follow mkEffect's shape. A text the library wrote (not one of the
    user's arguments) that is only simple commands is shown as their argument lists."""
    names = reader.phase_names()
    phases: dict[str, list[dict[str, JSON]]] = {}
    for phase in names if names is not None else PHASE_NAMES:
        # mkEffect's phases by their names in descriptions, and any other the derivation
        # adds (`preEffectPhases = "deployPhase"`) by its own; init is the same for all.
        shown = PHASE_NAMES.get(phase)
        if shown is None and phase.endswith("Phase") and phase != "initPhase":
            shown = phase[: -len("Phase")]
        if not shown or phase not in reader.drv.items:
            continue
        stem = phase[: -len("Phase")]
        hook = stem[0].upper() + stem[1:]
        text = reader.attr(phase, "")
        script = f"{stem}Script"
        parts: tuple[str, ...] = (phase,)
        if isinstance(text, str) and f'eval "${script}"' in text:
            parts = (f"pre{hook}", script, f"post{hook}")
        steps: list[dict[str, JSON]] = []
        for part in parts:
            shown_text = reader.text(part)
            if shown_text is None:
                continue
            commands = None
            if isinstance(shown_text, str) and part not in given:
                commands = simple_commands(shown_text, env)
            if commands:
                steps += [{"run": list(argv)} for argv in commands]
            else:
                steps.append({"script": shown_text, "from": part})
        if steps:
            phases[shown] = steps
    return phases


def _builder(reader: Reader) -> dict[str, JSON]:
    """What the agent's builder runs, for a backend to run the same: the derivation's
    ``phases`` in order, the text of each phase it defines, and the texts those phases
    evaluate (every ``*Script`` and ``pre*``/``post*`` hook, empty ones included)."""
    phases = reader.phase_names() or []
    texts: dict[str, JSON] = {}
    scripts: dict[str, JSON] = {}
    for name in reader.drv.names():
        if name in phases:
            texts[name] = reader.shown_text(name)
        elif _is_script(name):
            scripts[name] = reader.shown_text(name)
    return {"phases": phases, "phaseTexts": texts, "scripts": scripts}


def _is_script(name: str) -> bool:
    """``effectScript``, ``preEffect``, ``postGetState``…: a bash text a phase evaluates."""
    hook = (name[:3] == "pre" and name[3:4].isupper()) or (
        name[:4] == "post" and name[4:5].isupper()
    )
    return name.endswith("Script") or (hook and not name.endswith("Phases"))


# mkEffect's setup hook, in the library's tree.
_HELPERS_HOOK = "/effects/effect/effects-setup-hook.sh"


def _hook_texts(machine: Machine, reader: Reader) -> list[str]:
    """The setup hooks among the derivation's inputs that are files of the project or of
    a pinned source (``runCommand … "cp ${./hook.sh} $out/nix-support/setup-hook"``, as
    the library makes cargo's and netlify's): their texts, which the builder sources, so
    the secrets they read are the effect's. Not mkEffect's own hook: it defines the
    helpers (``writeSSHKey``…), which read what their callers name."""
    texts = []
    for name in ("nativeBuildInputs", "buildInputs"):
        inputs = reader.attr(name, [])
        for item in inputs if type(inputs) is list else []:
            try:
                drv = force(item)
                attrs = force(drv.items["drvAttrs"]) if type(drv) is Attrs else None
                command = force(attrs.items.get("buildCommand", "")) if attrs else ""
            except E.NeedsValue:
                continue
            if not isinstance(command, str) or "nix-support/setup-hook" not in command:
                continue
            for element in sorted(context_of(command)):
                source = machine.store_files.get(element)
                if source is None or source.endswith(_HELPERS_HOOK):
                    continue
                try:
                    with open(machine.check_path(source), encoding="utf-8") as f:
                        texts.append(f.read())
                except (OSError, UnicodeDecodeError, E.EvalError):
                    continue
    return texts


_PARAMETER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _expanded(text: str, env: dict[str, JSON]) -> str:
    """`text` with ``$NAME``, ``${NAME}`` and ``${NAME:-default}`` replaced from the
    derivation's environment (or the default), where that is known, so that
    ``readSecretString cargo .${cargoSecretField:-token}`` reads as the field it is."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        known = env.get(name)
        if isinstance(known, str) and known:
            return known
        if match.group(2) is not None:
            return match.group(2)
        return match.group(0)

    return _PARAMETER.sub(value, text)


def _texts(phases: dict[str, list[dict[str, JSON]]]) -> list[str]:
    """The bash texts of the phases' steps (a command's words, quoted as bash would)."""
    texts = []
    for steps in phases.values():
        for step in steps:
            if isinstance(step.get("script"), str):
                texts.append(str(step["script"]))
            elif isinstance(step.get("run"), list):
                texts.append(shlex.join(str(word) for word in step["run"]))
    return texts


def _state_files(
    phases: dict[str, list[dict[str, JSON]]], env: dict[str, JSON]
) -> list[dict[str, JSON]]:
    """The state files the scripts get and put (``getStateFile NAME [FILE]``), a
    ``$variable`` read from the derivation's environment when it is a known string."""

    def word(text: str) -> str:
        return _expanded(text.strip("'\""), env)

    found: dict[str, dict[str, JSON]] = {}
    for text in _texts(phases):
        for match in _STATE_FILE.finditer(text):
            name = word(match.group(2))
            file = word(match.group(3) or match.group(2))
            entry = found.setdefault(
                name, {"name": name, "file": file, "read": False, "write": False}
            )
            entry["read" if match.group(1) == "getStateFile" else "write"] = True
    return list(found.values())
