"""Checks of an effect beyond its schema, made by ``ci-eval check`` on each description.

- E212: every ``networkFiles``, ``prebuildOnlyNetworkFiles`` and ``deployOnlyNetworkFiles``
  entry exists under ``src`` when ``src`` is a local path (or ``lib.cleanSource`` of one):
  NixOps imports them from there, and a missing one fails only on the agent.
- E213: a ``deployJsonFile`` that is a local path exists and is a valid deploy.json.
- E214–E217: given a ``secrets.json`` (the agent's format), every secret the effect's
  ``secretsMap`` names is there (E214), is a valid entry (E215, the agent's message), has
  the data fields the effect reads (E216), and — when the effect runs on the branch being
  checked — its ``condition`` grants it there (E217). Secret values are never shown: only
  names, field names and conditions.

Each check points at the argument it is about: the string itself when it is written as a
literal inside the argument (``"network-aws.nix"``), else the argument, else the call.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..diagnostics import Diagnostic, error
from ..eval.access import PathAccess
from ..eval.errors import RestrictedPath
from ..records import Record
from ..spelling import closest
from ..syntax import Source
from ..syntax.nodes import Span

if TYPE_CHECKING:
    from .pretend import Pretend
    from .secrets import SecretsError

# `nixeval.effects.secrets` (the secrets file's parser and conditions) is imported where a
# secrets file is read: most checks have none.

NETWORK_FILE_ARGUMENTS = ("networkFiles", "prebuildOnlyNetworkFiles", "deployOnlyNetworkFiles")

#: (source, span) of an argument by name (None: the call itself); with a text, the span
#: of that string literal where the argument's definition has it once, else the name's.
Locate = Callable[[str | None, str | None], tuple[Source, Span]]


class SecretsFile(Record):
    """A secrets.json as read for checking: its entries as JSON (values unparsed, so one
    bad entry is reported for the effects that use it), or why it could not be read. Its
    text (`file`, a sensitive Source) serves only to say where a problem is."""

    path: str
    entries: Mapping[str, object] | None
    problem: SecretsError | None = None
    file: Source | None = None

    @classmethod
    def read(cls, path: str) -> SecretsFile:
        from .secrets import (
            SecretsError,
            decode_secrets,
            locate_error,
            parse_secrets,
            read_secrets_source,
        )

        try:
            file = read_secrets_source(path)
            data = decode_secrets(file)
        except SecretsError as e:
            return cls(path, None, e, e.file)
        if isinstance(data, dict):
            return cls(path, data, None, file)
        try:  # for the agent's wording, from the one parser of secrets files
            parse_secrets(data, path)
        except SecretsError as e:
            return cls(path, None, locate_error(e, file), file)
        raise AssertionError("parse_secrets accepted a secrets file that is not an object")

    def problem_text(self) -> str:
        """Why the file cannot be used, with the place when there is one."""
        if self.problem is None:
            return ""
        where = self.problem.where()
        return f"{where}: {self.problem}" if where else f"'{self.path}': {self.problem}"


class Context:
    """What the checks of one evaluation pass know: the project's root (the only place
    files may be read), the secrets file if any, and the job evaluated for."""

    __slots__ = ("_access", "base", "pretend", "root", "secrets")

    def __init__(
        self,
        root: str,
        base: str,  # the ci file's directory: description paths are relative to it
        secrets: SecretsFile | None,
        pretend: Pretend,
    ) -> None:
        self.root = root
        self.base = base
        self.secrets = secrets
        self.pretend = pretend
        self._access: PathAccess | None = None

    @property
    def access(self) -> PathAccess:
        """The files these checks may read: the evaluation's own restriction (made once)."""
        if self._access is None:
            self._access = PathAccess([self.root])
        return self._access


def check_effect(description: Mapping[str, Any], locate: Locate, ctx: Context) -> list[Diagnostic]:
    """The problems of one effect description (see the module docstring)."""
    arguments = description.get("arguments", {})
    problems = list(_network_files(description["function"], arguments, locate, ctx))
    problems += _deploy_json_file(arguments, locate, ctx)
    if ctx.secrets is not None:
        problems += _secrets(description, locate, ctx, ctx.secrets)
    return problems


# --- network files ------------------------------------------------------------------------


def _network_files(
    function: str, arguments: Mapping[str, Any], locate: Locate, ctx: Context
) -> Iterable[Diagnostic]:
    src = _local_path(arguments.get("src", {}).get("value"), ctx.base)
    if src is None:
        return
    try:
        src = ctx.access.check(src)
    except RestrictedPath:
        return  # the evaluation says so where src is read
    if not os.path.isdir(src):
        return
    shown_src = arguments["src"]["value"]["path"]
    for name in NETWORK_FILE_ARGUMENTS:
        files = arguments.get(name, {}).get("value")
        if not isinstance(files, list):
            continue
        for file in files:
            if not isinstance(file, str):
                continue
            path = os.path.normpath(os.path.join(src, file))
            if ctx.access.exists(path):
                continue
            source, span = locate(name, file)
            present = _nix_files(src)
            suggestion = closest(file, present)
            notes = [f"the .nix files there are: {', '.join(present)}" if present else ""]
            if suggestion:
                notes.append(f"help: did you mean '{suggestion}'?")
            yield error(
                "E212",
                f"{function}: network file '{file}' does not exist in src ({shown_src})",
                source,
                span,
                notes=[n for n in notes if n],
            )


def _nix_files(directory: str) -> list[str]:
    try:
        return sorted(e for e in os.listdir(directory) if e.endswith(".nix"))
    except OSError:
        return []


# --- deployJsonFile -----------------------------------------------------------------------


def _deploy_json_file(
    arguments: Mapping[str, Any], locate: Locate, ctx: Context
) -> Iterable[Diagnostic]:
    path = _local_path(arguments.get("deployJsonFile", {}).get("value"), ctx.base)
    if path is None:
        return
    source, span = locate("deployJsonFile", None)
    shown = arguments["deployJsonFile"]["value"]["path"]
    try:
        path = ctx.access.check(path)
    except RestrictedPath as forbidden:
        yield error(
            "E112",
            forbidden.message,
            source,
            span,
            notes=["ci-eval check reads only files inside the repository"],
        )
        return
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except FileNotFoundError:
        yield error("E213", f"deployJsonFile '{shown}' does not exist", source, span)
        return
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        yield error("E213", f"deployJsonFile '{shown}' is not valid JSON: {e}", source, span)
        return
    from .validate import deploy_problems

    for problem in deploy_problems(document):
        yield error(
            "E213", f"deployJsonFile '{shown}' is not a valid deploy.json: {problem}", source, span
        )


# --- secrets ------------------------------------------------------------------------------


def _secrets(
    description: Mapping[str, Any], locate: Locate, ctx: Context, file: SecretsFile
) -> Iterable[Diagnostic]:
    from .secrets import SecretsError, condition_holds, json_pointer, parse_secrets

    where = file.path
    for entry in description.get("secrets", []):
        local, name = entry.get("name"), entry.get("secret")
        if not isinstance(name, str):
            continue  # a GitToken, or unknown
        source, span = _secret_position(description, locate, name)
        if file.entries is None:
            yield error("E218", f"cannot use secrets file {file.problem_text()}", source, span)
            return
        if name not in file.entries:
            suggestion = closest(name, file.entries)
            yield error(
                "E214",
                f"secretsMap.{local}: secret '{name}' is not in {where}",
                source,
                span,
                notes=[f"help: did you mean '{suggestion}'?"] if suggestion else [],
            )
            continue
        try:
            secret = parse_secrets({name: file.entries[name]}, where)[name]
        except SecretsError as e:
            place, what = _place(file, e), e.what()
            notes = [f"in {what}"] if what else []
            yield error("E215", f"secret '{name}' in {place}: {e}", source, span, notes=notes)
            continue
        for field_name in entry.get("fields", []):
            if field_name not in secret.data:
                yield error(
                    "E216",
                    f"secret '{name}' has no data field '{field_name}', which the effect reads"
                    f" (secretsMap.{local})",
                    source,
                    span,
                    notes=[f"its data fields are: {', '.join(sorted(secret.data)) or 'none'}"],
                )
        if description.get("mode") != "run":
            continue
        job = _job(ctx.pretend)
        if secret.condition is None:
            yield error(
                "E217",
                f"secret '{name}' has no condition, so the agent denies it (on {job})",
                source,
                span,
                notes=['help: add a "condition", e.g. {"isBranch": "…"}, to the secret'],
            )
        elif condition_holds(secret.condition, ctx.pretend) is False:
            # (None: it depends on the repository or owner, unknown without a forge remote)
            # The condition is pointed at, not shown: nothing of the file is.
            place = _place(file, SecretsError("", json_pointer(name, "condition")))
            yield error(
                "E217",
                f"secret '{name}' is not granted on {job}, where the effect runs: "
                f"its condition ({place}) does not hold",
                source,
                span,
            )


def _place(file: SecretsFile, e: SecretsError) -> str:
    """``path:line:column`` of the problem `e` in the secrets file (else the path)."""
    from .secrets import locate_error

    if file.file is not None:
        e = locate_error(e, file.file)
    return e.where() or file.path


def _secret_position(
    description: Mapping[str, Any], locate: Locate, name: str
) -> tuple[Source, Span]:
    if "secretsMap" in description.get("arguments", {}):
        return locate("secretsMap", name)
    return locate(None, None)


def _job(pretend: Pretend) -> str:
    if pretend.branch is not None:
        return f"branch '{pretend.branch}'"
    if pretend.tag is not None:
        return f"tag '{pretend.tag}'"
    return f"ref '{pretend.ref}'"


# --- helpers ------------------------------------------------------------------------------


def _local_path(value: object, base: str) -> str | None:
    """The local directory or file of a described path (``{"path": "./."}``, possibly
    ``filtered``), else None (a store path, an unknown, a string)."""
    if isinstance(value, dict) and isinstance(value.get("path"), str):
        path: str = value["path"]
        if path.startswith("/nix/store/"):
            return None
        return os.path.normpath(os.path.join(base, path))
    return None
