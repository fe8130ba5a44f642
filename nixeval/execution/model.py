"""An effect of a description, as the run backends act on it.

A description (docs/descriptions.md) says what an effect does; to *run* it, a backend
also needs to know which of its values are still unknown (and whether it needs them),
where its source directory is on this machine, which secrets it reads and which state
files it keeps. `RunEffect.of` works that out once, for every backend.

Values the user supplies for unknowns (``--env NAME=VALUE``, ``--file NAME=PATH``) are
applied here: a supplied value only ever fills an unknown, never replaces a value the
evaluation knew.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic, error, unplaced
from ..effects.encode import display_path, is_unknown_json

#: The phases in the order an effect runs them (hercules-effects.md §3.4); `init` and
#: `unpack` are the same for every effect and are not in descriptions.
PHASE_ORDER = (
    "init",
    "unpack",
    "getState",
    "userSetup",
    "priorCheck",
    "effect",
    "putState",
    "effectCheck",
)


#: hercules-ci-effects' setup hook, in the library's source tree: what runs an effect the
#: library made (`nixeval.execution.library_shell`).
SETUP_HOOK = Path("effects", "effect", "effects-setup-hook.sh")

#: What mkEffect's initScript does, as a backend does it: a HOME of the effect's own.
INIT_STEP = {
    "do": "HOME is a new directory in the build directory, with ~/.ssh and 'BatchMode yes' "
    "in ~/.ssh/config"
}


class Refused(Exception):
    """The run cannot be done as asked (not a bug, not the effect's failure): nothing was
    run. Carries the diagnostics that say why."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = list(diagnostics)


def refusal(code: str, message: str, at: str, notes: Sequence[str] = ()) -> Diagnostic:
    """An error at a ``file:line:column`` place of the description (``at``)."""
    from ..commands.describe import position_of

    source, span = position_of(at)
    return error(code, message, source, span, notes=tuple(notes))


def is_secret_reference(value: object) -> bool:
    """Whether an ``env`` value of a description is ``{"secret": LOCAL, "field": FIELD}``:
    set at run time from a secret, by the step that reads it."""
    return isinstance(value, dict) and set(value) == {"secret", "field"}


@dataclass(frozen=True)
class UnknownUse:
    """An unknown value of the effect: where in the effect (``env NIX_PATH``), what it is,
    where the ci.nix made it, and whether running the effect needs it."""

    where: str
    unknown: str
    at: str
    needed: bool

    def to_json(self) -> dict[str, Any]:
        return {"where": self.where, "unknown": self.unknown, "at": self.at, "needed": self.needed}


@dataclass(frozen=True)
class SecretUse:
    """A ``secretsMap`` entry: the name the effect reads (``activate``), the agent's secret
    name (``default-cachix-activate``; None for a GitToken) and the data fields read."""

    local: str
    secret: str | None
    fields: tuple[str, ...]


@dataclass(frozen=True)
class StateFile:
    """A Hercules CI state file the effect reads (getStateFile) and maybe writes back."""

    name: str
    file: str
    read: bool
    write: bool


@dataclass(frozen=True)
class Source:
    """The effect's ``src``: a directory here, copied into the build directory before the
    effect runs (stdenv's unpackPhase); ``filtered`` as ``lib.cleanSource`` filters."""

    path: Path
    filtered: bool


@dataclass
class Supplies:
    """Values the user gives for unknowns: environment variables and files
    (``<deploy.json>``) by name."""

    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class RunEffect:
    attr_path: str
    function: str
    at: str
    runs: bool
    run_if: dict[str, Any] | None
    name: Any
    env: dict[str, Any]
    secrets: list[SecretUse]
    state_files: list[StateFile]
    files: dict[str, Any]
    phases: list[tuple[str, list[dict[str, Any]]]]
    source: Source | None
    inputs: list[Any]
    unknowns: list[UnknownUse]
    not_modelled: str | None
    supplied: dict[str, str] = field(default_factory=dict)
    secrets_map_at: str | None = None  # where the ci.nix gives secretsMap
    # The hercules-ci-effects source tree the effect was made by (its own setup hook runs
    # it: `nixeval.execution.library_shell`); None for the bundled model's effects.
    library: Path | None = None
    # What the agent's builder runs, read off the derivation (the description's `builder`:
    # `phases`, `phaseTexts`, `scripts`), for an effect the library made.
    builder: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, effect: Mapping[str, Any], base: Path, supplies: Supplies) -> RunEffect:
        """The effect of a validated description; `base` is the directory its relative
        paths are relative to (the ci.nix file's)."""
        env = dict(effect["env"])
        files = dict(effect["files"])
        supplied: dict[str, str] = {}
        for name, value in supplies.env.items():
            if name in env and _has_unknown(env[name]):
                env[name] = value
                supplied[f"env {name}"] = value
        for name, path in supplies.files.items():
            key = file_key(name)
            if key in files and _has_unknown(files[key]):
                files[key] = {"path": os.path.abspath(path), "supplied": True}
                supplied[f"file {key}"] = path
        secrets_map = effect["secretsMap"]
        fields = {s["name"]: tuple(s["fields"]) for s in effect["secrets"]}
        secrets = []
        if isinstance(secrets_map, dict) and not is_unknown_json(secrets_map):
            for local, ref in sorted(secrets_map.items()):
                secret = ref if isinstance(ref, str) else None
                secrets.append(SecretUse(local, secret, fields.get(local, ())))
        arguments = effect["arguments"]
        source = _source(arguments, effect.get("details", {}), base)
        phases: list[tuple[str, list[dict[str, Any]]]] = [("init", [dict(INIT_STEP)])]
        if isinstance(source, Source):
            how = " (filtered as lib.cleanSource does)" if source.filtered else ""
            shown = display_path(str(source.path))
            copy = f"copy {shown}{how} into the build directory and work there"
            phases.append(("unpack", [{"do": copy}]))
        library = _library_path(effect)
        if library is None:
            phases += [
                (name, effect["phases"][name]) for name in PHASE_ORDER if name in effect["phases"]
            ]
        else:
            # Read off the derivation: its phases, in the order it runs them.
            phases += list(effect["phases"].items())
        run = cls(
            attr_path=effect["attrPath"],
            function=effect["function"],
            at=effect["at"],
            runs=effect["mode"] == "run",
            run_if=effect.get("runIf"),
            name=effect["name"],
            env=env,
            secrets=secrets,
            state_files=[
                StateFile(s["name"], s["file"], s["read"], s["write"]) for s in effect["stateFiles"]
            ],
            files=files,
            phases=phases,
            source=source if isinstance(source, Source) else None,
            inputs=list(effect["inputs"]) if isinstance(effect["inputs"], list) else [],
            unknowns=[],
            not_modelled=effect.get("notModelled"),
            supplied=supplied,
            secrets_map_at=arguments.get("secretsMap", {}).get("at"),
            library=library,
            builder=dict(effect.get("builder", {})) if library is not None else {},
        )
        run.unknowns = list(_unknowns(run, effect, source))
        return run

    def needed_unknowns(self) -> list[UnknownUse]:
        return [u for u in self.unknowns if u.needed]

    def secret(self, local: str) -> SecretUse | None:
        return next((s for s in self.secrets if s.local == local), None)


def _library_path(effect: Mapping[str, Any]) -> Path | None:
    """The library source tree of an effect read off a derivation the library made."""
    library = effect.get("library")
    if isinstance(library, dict) and library.get("kind") == "source":
        path = library.get("path")
        return Path(path) if isinstance(path, str) else None
    return None


def file_key(name: str) -> str:
    """``deploy.json`` and ``<deploy.json>`` both name the placeholder ``<deploy.json>``."""
    return name if name.startswith("<") else f"<{name}>"


def _has_unknown(value: Any) -> bool:
    return any(True for _ in _walk_unknowns(value, ""))


_MODELLED = re.compile(r"«[^»]*»")


def _walk_unknowns(value: Any, where: str) -> Iterator[tuple[str, dict[str, str]]]:
    if is_unknown_json(value):
        yield where, value
    elif isinstance(value, dict) and isinstance(value.get("derivation"), str):
        yield from _walk_unknowns(value.get("outPath"), where)
    elif isinstance(value, str) and "«" in value:
        # A modelled build output (`«pkgs.curl»/bin/curl`, `nixeval.nixpkgs.model`): its
        # store path is not known, so nothing here can run it.
        marker = _MODELLED.search(value)
        name = marker.group(0)[1:-1] if marker is not None else value
        yield where, {"unknown": f"the store path of {name} (a modelled build)", "at": "?"}
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk_unknowns(item, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk_unknowns(item, f"{where}[{i}]")


def _source(arguments: Mapping[str, Any], details: Mapping[str, Any], base: Path) -> Any:
    """The ``src`` argument as a `Source`, an unknown (kept as it is), or None."""
    src = arguments.get("src", {}).get("value")
    if src is None:
        flake = details.get("flake")
        src = flake.get("flake") if isinstance(flake, dict) else None
    dont_unpack = arguments.get("dontUnpack", {}).get("value")
    if src is None or dont_unpack is True:
        return None
    if isinstance(src, dict) and isinstance(src.get("path"), str) and not is_unknown_json(src):
        return Source((base / src["path"]).resolve(), bool(src.get("filtered")))
    return src  # an unknown or a derivation: nothing here to copy


#: The package arguments the effect functions take to put the tool on PATH
#: (``nixops``, ``nix``, ``cachix``): their derivation attributes are store paths that
#: nothing of the library reads, so their being unknown does not stop a run, unless a
#: user's script mentions the variable.
PACKAGE_ARGUMENTS = frozenset({"nixops", "nix", "cachix"})


def _env_needed(name: str, scripts: list[str]) -> bool:
    if name not in PACKAGE_ARGUMENTS:
        return True
    return any(f"${name}" in text or f"${{{name}" in text for text in scripts)


def _unknowns(run: RunEffect, effect: Mapping[str, Any], source: Any) -> Iterator[UnknownUse]:
    """Every unknown of the effect, marking those that running it needs: the environment,
    the commands and scripts, the files, the secrets map and the source. Not needed:
    `inputs` (the commands come from PATH) and `prebuilt` (built by CI, not used by the
    run)."""

    def uses(value: Any, where: str, needed: bool) -> Iterator[UnknownUse]:
        for place, u in _walk_unknowns(value, where):
            at = u["at"] if u["at"] != "?" else run.at
            yield UnknownUse(place, u["unknown"], at, needed)

    yield from uses(effect["secretsMap"], "secretsMap", True)
    texts = [str(step.get("script", "")) for _, steps in run.phases for step in steps]
    for name, value in run.env.items():
        yield from uses(value, f"env {name}", _env_needed(name, texts))
    for name, content in run.files.items():
        inside = content.get("json", content) if isinstance(content, dict) else content
        yield from uses(inside, f"file {name}", True)
    for phase, steps in run.phases:
        for i, step in enumerate(steps):
            yield from uses(step, f"{phase} step {i + 1}", True)
    # An effect the library made runs its phase texts, and the scripts no step shows.
    shown = {step.get("from") for _, steps in run.phases for step in steps}
    yield from uses(run.builder.get("phaseTexts", {}), "builder.phaseTexts", True)
    for name, text in run.builder.get("scripts", {}).items():
        if name not in shown:
            yield from uses(text, f"builder.scripts.{name}", True)
    if source is not None and not isinstance(source, Source):
        if is_unknown_json(source):
            yield UnknownUse("src", source["unknown"], source["at"], True)
        else:
            yield UnknownUse("src", "a derivation (not a directory here)", run.at, True)
    yield from uses(run.inputs, "inputs", False)
    yield from uses(effect.get("prebuilt"), "prebuilt", False)


def runnable(
    effects: Sequence[RunEffect], unknowns: Sequence[Mapping[str, Any]] = ()
) -> list[RunEffect]:
    """The effects to run (those whose runIf holds), after checking that each can be run
    here: its phases are known, every value it needs is known, it needs no GitToken
    (only the Hercules CI backend issues one) and its source directory is here; and that
    no attribute that might hold effects is unknown (the description's `unknowns`: what
    it holds would not run). Refused with every problem at once."""
    problems: list[Diagnostic] = [
        refusal(
            "E301",
            f"'{u['attrPath'] or '(root)'}' might hold effects, but it is unknown: {u['unknown']}",
            str(u.get("at", "?")),
            notes=[
                "help: make what it needs available (ci-eval fetch, --override-input), "
                "or select attributes without it (-A)"
            ],
        )
        for u in unknowns
    ]
    running = [e for e in effects if e.runs]
    if not running and not problems:
        for e in effects:
            where = e.run_if["at"] if e.run_if else e.at
            problems.append(
                refusal(
                    "E304",
                    f"the effect {e.attr_path or '(root)'} does not run on this ref"
                    + (f": runIf {e.run_if['expression']} is false" if e.run_if else ""),
                    where,
                    notes=[
                        "help: evaluate it for the ref it runs on (--as-branch, --as-ref, --as-tag)"
                    ],
                )
            )
        if not effects:
            raise Refused([unplaced("E304", "the description has no effects", "<description>")])
    for e in running:
        if e.not_modelled is not None:
            problems.append(
                refusal(
                    "E305",
                    f"what {e.function} does when it runs is not modelled "
                    f"by ci-eval: {e.not_modelled}",
                    e.at,
                )
            )
        for u in e.needed_unknowns():
            problems.append(
                refusal(
                    "E301",
                    f"{u.where} is unknown: {u.unknown}",
                    u.at,
                    notes=[_supply_help(u.where)],
                )
            )
        if e.library is not None and not (e.library / SETUP_HOOK).is_file():
            problems.append(
                refusal(
                    "E305",
                    f"the effect was made by the hercules-ci-effects source in {e.library}, "
                    f"whose setup hook ({SETUP_HOOK}) is not there",
                    e.at,
                    notes=["help: describe the effect again where its pinned source is"],
                )
            )
        if e.source is not None and not e.source.path.is_dir():
            problems.append(
                refusal(
                    "E305",
                    f"the effect's src {e.source.path} is not a directory here",
                    e.at,
                    notes=[
                        "relative paths of a description start at its ci.nix's "
                        "directory, from where the description was made"
                    ],
                )
            )
    if problems:
        raise Refused(problems)
    return running


def _supply_help(where: str) -> str:
    if where.startswith("env "):
        name = where.split()[1]
        return f"help: give its value with --env {name}=VALUE"
    if where.startswith("file <"):
        name = where[len("file <") :].split(">")[0]
        return f"help: give the file with --file {name}=PATH (e.g. one built with nix build)"
    return "help: ci-eval cannot run an effect with this value unknown"
