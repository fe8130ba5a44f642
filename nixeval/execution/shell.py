"""Effects as a POSIX shell script: what the script backend prints and the local backend runs.

The script does what the effect's builder does in the Hercules CI sandbox
(hercules-effects.md §3.4): for each effect that runs, in a subshell of its own, with
``set -eu`` (stdenv runs phases under ``set -e``): init (a fresh ``HOME`` with ``~/.ssh``),
unpack (a copy of ``src``), getState, userSetup, priorCheck (a failure only warns),
effect, putState, effectCheck. Once getState has run, putState also runs when a later
phase fails or the run is interrupted, and runs at most once, as the setup hook's
``failureHooks`` and ``PUT_STATE_DONE`` make it.

Secrets are read from ``$HERCULES_CI_SECRETS_JSON`` with ``jq``, as the setup hook's
helpers read them inside an effect: an object keyed by the effect's ``secretsMap`` names
(``{"activate": {"kind": "Secret", "data": {…}}}``). State files (``getStateFile``,
``putStateFile``) are kept in ``$CI_EVAL_STATE_DIR`` (default ``.ci-eval/state``) instead of
the Hercules CI API: written to a temporary file and renamed, the previous version kept
as ``NAME.previous``.

Every value the script did not write itself (names, arguments, paths, the user's bash
texts) is single-quoted (`quote`); the user's texts are ``eval``'d as the library evals
them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .. import __version__
from ..effects.encode import is_unknown_json
from ..terminal import escape
from .model import RunEffect, is_secret_reference

SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+\Z")


def quote(value: str) -> str:
    """`value` as one shell word: single-quoted unless it is plainly safe."""
    if _SAFE.match(value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def word(value: str) -> str:
    """A path or argument of a step: ``~/x`` is the effect's HOME, like the library's
    ``~/.ssh/known_hosts``; everything else is quoted."""
    if value.startswith("~/"):
        return '"$HOME"/' + quote(value[2:])
    return quote(value)


# The setup hook's helpers (hercules-effects.md §3.4), in POSIX sh, for the bundled
# model's effects. State files live in a directory here rather than behind the Hercules
# CI API. (An effect made by the real library runs with the library's own setup hook:
# `nixeval.execution.library_shell`.)
_HELPERS_SH = r"""
readSecretString() {
  jq -e -r --arg name "$1" ".[\$name].data | $2" "$HERCULES_CI_SECRETS_JSON" || {
    echo "Could not find path $2 in secret $1" >&2
    return 1
  }
}

readSecretJSON() {
  jq -e -c --arg name "$1" ".[\$name].data | $2" "$HERCULES_CI_SECRETS_JSON" || {
    echo "Could not find path $2 in secret $1" >&2
    return 1
  }
}

writeAWSSecret() {
  aws_secret=${1:-aws}
  aws_profile=${2:-default}
  aws_key_id=$(readSecretString "$aws_secret" .aws_access_key_id)
  aws_key=$(readSecretString "$aws_secret" .aws_secret_access_key)
  mkdir -p "$HOME/.aws"
  {
    printf '[%s]\n' "$aws_profile"
    printf 'aws_access_key_id = %s\n' "$aws_key_id"
    printf 'aws_secret_access_key = %s\n' "$aws_key"
  } >>"$HOME/.aws/credentials"
}

writeSSHKey() {
  ssh_secret=${1:-ssh}
  ssh_key_path=${2:-$HOME/.ssh/id_rsa}
  mkdir -p "$(dirname "$ssh_key_path")"
  rm -f "$ssh_key_path"
  (umask 077 && readSecretString "$ssh_secret" .privateKey >"$ssh_key_path")
  chmod 0400 "$ssh_key_path"
  if jq -e --arg name "$ssh_secret" '.[$name].data.publicKey' \
    "$HERCULES_CI_SECRETS_JSON" >/dev/null; then
    readSecretString "$ssh_secret" .publicKey >"$ssh_key_path.pub"
  elif command -v ssh-keygen >/dev/null; then
    ssh-keygen -y -f "$ssh_key_path" >"$ssh_key_path.pub"
  else
    echo "WARNING: no publicKey in secret $ssh_secret and no ssh-keygen:" \
      "$ssh_key_path.pub not written" >&2
  fi
}

writeDockerKey() {
  docker_secret=${1:-docker}
  docker_dir=${2:-$HOME/.docker}
  mkdir -p "$docker_dir"
  (umask 077 && readSecretString "$docker_secret" .clientKey >"$docker_dir/key.pem")
  readSecretString "$docker_secret" .clientCertificate >"$docker_dir/cert.pem"
  readSecretString "$docker_secret" .CACertificate >"$docker_dir/ca.pem"
}

useDockerHost() {
  export DOCKER_HOST="tcp://$1:${2:-2376}"
  export DOCKER_TLS_VERIFY=1
}

writeGPGKey() {
  readSecretString "${1:-gpg}" .privateKey | gpg --import
}

ci_eval_state_path() {
  case $1 in
    '' | . | .. | .* | */*)
      echo "not a state file name: $1" >&2
      return 1
      ;;
  esac
  printf '%s/%s\n' "$ci_eval_state_dir" "$1"
}

getStateFile() {
  state_path=$(ci_eval_state_path "$1")
  state_file=${2:-$1}
  if [ -f "$state_path" ]; then
    cp "$state_path" "$state_file"
  else
    rm -f "$state_file"
    echo "state file does not exist."
  fi
}

ci_eval_make_state_dir() {
  # A .ci-eval made here ignores itself: no `git add -A` commits state (it holds keys).
  ci_eval_state_parent=$(dirname "$ci_eval_state_dir")
  if [ "$(basename "$ci_eval_state_parent")" = .ci-eval ] && [ ! -e "$ci_eval_state_parent" ]; then
    (umask 077 && mkdir -p "$ci_eval_state_parent")
    printf '*\n' >"$ci_eval_state_parent/.gitignore"
  fi
  (umask 077 && mkdir -p "$ci_eval_state_dir")
}

putStateFile() {
  state_path=$(ci_eval_state_path "$1")
  state_file=${2:-$1}
  ci_eval_make_state_dir
  state_tmp="$ci_eval_state_dir/.$1.tmp-$$"
  (umask 077 && cp "$state_file" "$state_tmp")
  sync
  if [ -f "$state_path" ]; then
    ln -f "$state_path" "$state_path.previous" 2>/dev/null ||
      cp -p "$state_path" "$state_path.previous"
  fi
  mv -f "$state_tmp" "$state_path"
}

"""

#: How the build directory is set up, for every effect: ci-eval's own init (a HOME of the
#: effect's own) and unpack (a copy of ``src``).
BUILD_HELPERS = r"""
ci_eval_init() {
  HOME="$1/home"
  export HOME
  mkdir -p "$HOME/.ssh"
  echo 'BatchMode yes' >>"$HOME/.ssh/config"
}

ci_eval_unpack() {
  mkdir -p "$2"
  cp -R "$1/." "$2"
  if [ "$3" = filtered ]; then
    # lib.cleanSource's filter: version control, editor and build leftovers, result links.
    find "$2" \( -name .git -o -name .svn -o -name CVS -o -name .hg -o -name '*~' \
      -o -name '*.o' -o -name '*.so' -o -name '.*.sw?' -o -name '.sw?' \
      -o \( -type l -name 'result*' \) \) -prune -exec rm -rf {} +
  fi
  cd "$2"
}
"""

_ON_EXIT = r"""
ci_eval_on_exit() {
  ci_eval_status=$?
  set +e
  if [ "$ci_eval_status" -ne 0 ] && [ -n "$ci_eval_put_state" ] &&
    [ -z "$ci_eval_put_state_started" ]; then
    ci_eval_put_state_started=1
    (set -e && "$ci_eval_put_state")
  elif [ "$ci_eval_status" -ne 0 ] && [ -n "$ci_eval_put_state_started" ]; then
    echo 'NOTE: State has already been uploaded and was not uploaded again.' >&2
  fi
  exit "$ci_eval_status"
}
"""

HELPERS = _HELPERS_SH.rstrip("\n") + "\n" + BUILD_HELPERS.rstrip("\n") + "\n" + _ON_EXIT


def render_script(effects: Iterable[RunEffect], document: dict[str, Any], base: Path) -> str:
    """The script for the effects of `document` that run (each must have no unknown it
    needs: the backends check that first)."""
    effects = [e for e in effects if e.runs]
    if any(e.library is not None for e in effects):
        from .library_shell import render_library_script

        return render_library_script(effects, document, base)
    head = [
        "#!/bin/sh",
        generated_by(document),
        "# Runs the effect(s) below as Hercules CI would, with the tools on PATH:",
        "# jq, and the commands the effects run. Secrets: $HERCULES_CI_SECRETS_JSON, an",
        "# object keyed by each effect's secretsMap names, as inside a Hercules CI effect.",
        "# State files: $CI_EVAL_STATE_DIR (default .ci-eval/state).",
        "set -eu",
        "",
        *PROLOGUE,
        *BUNDLED_PROLOGUE,
        HELPERS.strip("\n"),
    ]
    body: list[str] = []
    for number, effect in enumerate(effects, 1):
        body += effect_functions(number, effect, base)
    calls = [f"(effect_{n})" for n in range(1, len(effects) + 1)]
    return "\n".join([*head, "", *body, *calls]) + "\n"


def generated_by(document: dict[str, Any]) -> str:
    """The script's first comment: which ci-eval made it, from which file, for which ref."""
    checkout = document["checkout"]
    # Comments hold project text escaped: a line break in it would end the comment.
    return (
        f"# Generated by ci-eval {__version__} from {escape(document['file'])}"
        f" (as on {escape(checkout.get('ref') or 'an unknown ref')})."
    )


#: Where state and build directories are, and the signals: the start of every script.
PROLOGUE = (
    "ci_eval_state_dir=${CI_EVAL_STATE_DIR:-.ci-eval/state}",
    'case $ci_eval_state_dir in /*) ;; *) ci_eval_state_dir="$PWD/$ci_eval_state_dir" ;; esac',
    "ci_eval_build=${CI_EVAL_BUILD_DIR:-}",
    'if [ -z "$ci_eval_build" ]; then',
    '  ci_eval_build=$(mktemp -d "${TMPDIR:-/tmp}/ci-eval-effect.XXXXXX")',
    "  trap 'rm -rf \"$ci_eval_build\"' EXIT",
    "fi",
    "trap 'exit 130' INT",
    "trap 'exit 143' TERM",
)

#: The state the bundled model's putState-on-failure keeps (`_ON_EXIT`).
BUNDLED_PROLOGUE = ("ci_eval_put_state=", "ci_eval_put_state_started=")


def effect_functions(number: int, effect: RunEffect, base: Path) -> list[str]:
    prefix = f"effect_{number}"
    phases = dict(effect.phases)
    out = [f"# {escape(effect.attr_path or '(root)')}: {effect.function} at {escape(effect.at)}"]
    put_state = phases.get("putState")
    if put_state is not None:
        out += [f"{prefix}_putState() {{", "  ci_eval_put_state_started=1"]
        out += indent(_steps(put_state, effect, base)) or ["  :"]
        out += ["}", ""]
    out += [f"{prefix}() {{"]
    lines = [
        f'dir="$ci_eval_build"/{number}',
        'mkdir -p "$dir"',
        "trap ci_eval_on_exit EXIT",
        "trap 'exit 130' INT",
        "trap 'exit 143' TERM",
        'ci_eval_init "$dir"',
        "export IN_HERCULES_CI_EFFECT=true",
    ]
    if effect.secrets:
        lines += secret_checks(effect)
    lines += environment_lines(effect, base)
    lines += file_lines(effect, base)
    if effect.source is not None:
        how = "filtered" if effect.source.filtered else "all"
        lines.append(f'ci_eval_unpack {quote(str(effect.source.path))} "$dir/src" {how}')
    else:
        lines.append('cd "$dir"')
    for phase, steps in effect.phases:
        if phase in ("init", "unpack"):
            continue
        if phase == "putState":
            lines += ["# putState", f"{prefix}_putState"]
            continue
        lines.append(f"# {phase}")
        if phase == "priorCheck":
            lines += ["if (", *indent(_steps(steps, effect, base)), "); then"]
            lines += ["  echo 'Prior check OK.'", "else"]
            lines += ["  echo 'WARNING: Prior check FAILED!' >&2", "fi"]
        else:
            lines += _steps(steps, effect, base)
        if phase == "getState" and put_state is not None:
            lines.append(f"ci_eval_put_state={prefix}_putState")
    out += [*indent(lines), "}", ""]
    return out


def indent(lines: list[str]) -> list[str]:
    return ["  " + line if line else line for line in lines]


def secret_checks(effect: RunEffect) -> list[str]:
    """Before anything runs: each secret the effect reads is there, with its fields."""
    lines = [
        ': "${HERCULES_CI_SECRETS_JSON:?must name the secrets.json the effect reads '
        '(keyed by its secretsMap names)}"'
    ]
    for use in effect.secrets:
        fields = " and ".join(f"(.data | has({json.dumps(f)}))" for f in use.fields) or "true"
        program = f'.[$name] | type == "object" and .kind == "Secret" and {fields}'
        what = f"secret {use.local} ({use.secret or 'GitToken'})"
        wanted = ", ".join(use.fields) or "no particular field"
        lines += [
            f"jq -e --arg name {quote(use.local)} {quote(program)} "
            '"$HERCULES_CI_SECRETS_JSON" >/dev/null || {',
            f"  echo {quote(f'{what} is missing from the secrets file or lacks ({wanted})')} >&2",
            "  exit 1",
            "}",
        ]
    return lines


def environment_lines(effect: RunEffect, base: Path) -> list[str]:
    lines = []
    for name, value in effect.env.items():
        if is_secret_reference(value):
            continue  # set by the step that reads the secret
        if is_unknown_json(value):
            continue  # one the run does not need (`RunEffect.unknowns`): left unset
        text = _env_text(value, base)
        if not SHELL_NAME.match(name):
            lines.append(f"# {escape(quote(name))} is not a shell variable name: not exported")
            continue
        lines.append(f"export {name}={quote(text)}")
    return lines


def _env_text(value: Any, base: Path) -> str:
    """An environment value or file as text: a path is the path here (Nix would give its
    copy in the store)."""
    if isinstance(value, dict) and isinstance(value.get("path"), str):
        return str((base / value["path"]).resolve())
    if isinstance(value, str):
        return value
    raise ValueError(f"not an environment value: {value!r}")


def file_lines(effect: RunEffect, base: Path) -> list[str]:
    """The generated files (``<deploy.json>``) the commands name, written into the build
    directory."""
    lines = []
    for name, content in effect.files.items():
        if isinstance(content, dict) and "json" in content:
            text = json.dumps(content["json"], ensure_ascii=False, separators=(",", ":"))
            lines.append(f"printf '%s\\n' {quote(text)} >\"$dir\"/{quote(_file_name(name))}")
    return lines


def _file_name(placeholder: str) -> str:
    return placeholder.strip("<>") or "file"


def _argument(value: Any, effect: RunEffect, base: Path) -> str:
    if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
        content = effect.files.get(value)
        if isinstance(content, dict) and "json" in content:
            return '"$dir"/' + quote(_file_name(value))
        if isinstance(content, dict) and isinstance(content.get("path"), str):
            return quote(_env_text(content, base))
    if not isinstance(value, str):
        raise ValueError(f"an argument that is not known: {value!r}")
    return word(value)


def _steps(steps: list[dict[str, Any]], effect: RunEffect, base: Path) -> list[str]:
    lines: list[str] = []
    for step in steps:
        if "run" in step:
            command = " ".join(_argument(a, effect, base) for a in step["run"])
            if "stdin" in step:
                command += f" <{word(step['stdin'])}"
            if "stdout" in step:
                command += f" >{word(step['stdout'])}"
            if "when" in step:
                test, file = (
                    ("-e", step["when"]["exists"])
                    if "exists" in step["when"]
                    else ("! -e", step["when"]["missing"])
                )
                command = f"if [ {test} {word(file)} ]; then {command}; fi"
            lines.append(command)
            if "failIfEmpty" in step:
                lines += [
                    f"if [ ! -s {word(step['stdout'])} ]; then",
                    f"  echo {quote(step['failIfEmpty'])} >&2",
                    "  exit 1",
                    "fi",
                ]
        elif "export" in step:
            variable = step["export"]
            lines.append(
                f"{variable}=$(readSecretString {quote(step['secret'])} "
                f"{quote('.' + step['field'])})"
            )
            lines.append(f"export {variable}")
        else:
            lines.append(f"# {escape(step['from'])}")
            lines.append(f"eval {quote(step['script'])}")
    return lines


def relative(path: Path) -> str:
    """A path as shown to the user: relative to the working directory when under it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
