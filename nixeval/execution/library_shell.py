"""An effect made by the real hercules-ci-effects as a bash script: what the script backend
prints and the local backend runs for a description whose ``library.kind`` is ``source``.

The Hercules CI agent runs an effect derivation's builder: nixpkgs' stdenv (``setup.sh``)
under bash with ``set -eu -o pipefail``, sourcing the setup hooks of its inputs (the
library's ``effects-setup-hook.sh``), then each phase of ``phases`` in order, phases being
bash texts in the derivation's environment. The script does that here:

* **stdenv's part** (`STDENV`): only what the setup hook relies on, in ci-eval's own words:
  the hook arrays (``preInitHooks``, ``failureHooks``, ``postHooks``, …), ``runHook``, and
  an exit handler that runs ``failureHooks`` when the effect fails (the hook's
  ``registerPutStatePhaseOnFailure`` puts its putStatePhase there) and ``exitHooks``
  otherwise;
* **the library's setup hook**, sourced from the user's pinned copy
  (``<library>/effects/effect/effects-setup-hook.sh``), not a copy in ci-eval: its
  ``readSecretString``, ``writeSSHKey``, ``getStateFile``, ``putStateFile``, … run as they
  are;
* **the derivation's phases** (the description's ``builder``): every text the phases
  evaluate (``effectScript``, ``preEffect``, …) set as the derivation variable it is, each
  phase's own text (``effectPhase``, …) likewise, and the phases of ``phases`` evaluated in
  order; a phase the derivation gives no text is stdenv's (``unpackPhase``: the copy of
  ``src``; ``patchPhase``: nothing to patch);
* **state**: the hook talks to the Hercules CI API with curl. The script starts ci-eval's
  state API on 127.0.0.1 (`nixeval.execution.state_api`, backed by the state directory)
  and gives it a fresh token as the ``hercules-ci`` entry of the effect's secrets file,
  as the agent does.

What the agent's sandbox does that must not be done on a laptop is not done: the
library's ``initScript`` (``HOME=/build/home``, a new ``/etc/passwd``) is replaced by a
HOME in the build directory, and the setup hook's copy of ``__hci_effect_fsroot_copy``
into ``/`` is skipped by its own guard (``__hci_effect_fsroot_copied``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..terminal import escape
from .model import SETUP_HOOK, RunEffect
from .shell import (
    BUILD_HELPERS,
    BUNDLED_PROLOGUE,
    HELPERS,
    PROLOGUE,
    SHELL_NAME,
    effect_functions,
    environment_lines,
    file_lines,
    generated_by,
    indent,
    quote,
    secret_checks,
)

# stdenv's part: what the setup hook relies on, in ci-eval's own words (see the module's
# docstring). `runHook NAME` runs the function or text NAME, then each entry of the array
# NAME-without-"Hook" + "Hooks", as stdenv does.
STDENV = r"""
# shellcheck disable=SC2034 # the setup hook adds to these, runHook reads them by name
preInitHooks=() postInitHooks=() failureHooks=() exitHooks=() postHooks=() unpackCmdHooks=()

ci_eval_call_hook() {
  if declare -F "$1" >/dev/null; then
    "$@"
  else
    eval "$1"
  fi
}

runHook() {
  local hookName=$1
  shift
  local hooksSlice="${hookName%Hook}Hooks[@]"
  local hook
  if declare -F "$hookName" >/dev/null; then
    "$hookName" "$@"
  elif [[ -n ${!hookName:-} ]]; then
    eval "${!hookName}"
  fi
  for hook in ${!hooksSlice+"${!hooksSlice}"}; do
    ci_eval_call_hook "$hook" "$@"
  done
  return 0
}

# stdenv's exit handler: failureHooks when the effect failed (the setup hook's putStatePhase
# once getStatePhase registered it), exitHooks otherwise; then ci-eval's state API stops and
# the effect's secrets file goes.
ci_eval_exit_handler() {
  ci_eval_status=$?
  set +e
  if [[ $ci_eval_status -ne 0 ]]; then
    runHook failureHook
  else
    runHook exitHook
  fi
  ci_eval_stop_state_api
  rm -f "$ci_eval_dir/secrets.json"
  exit "$ci_eval_status"
}

# The effect's secrets file, as the agent writes it: the entries of $HERCULES_CI_SECRETS_JSON
# (keyed by secretsMap names) and a hercules-ci token, new for each run, for the state API.
ci_eval_secrets_file() {
  local token
  token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  (
    umask 077
    cat "${HERCULES_CI_SECRETS_JSON:-/dev/null}" |
      jq -s --arg token "$token" \
        '(.[0] // {}) + {"hercules-ci": {kind: "Secret", data: {token: $token}}}' \
        >"$1/secrets.json"
  )
  HERCULES_CI_SECRETS_JSON="$1/secrets.json"
  export HERCULES_CI_SECRETS_JSON
}

# The Hercules CI state API for the setup hook's getStateFile/putStateFile: ci-eval's server
# on 127.0.0.1, serving the state directory (ci-eval's Python: $CI_EVAL_PYTHON, default
# python3).
ci_eval_start_state_api() {
  local tries=0
  "${CI_EVAL_PYTHON:-python3}" -m nixeval.execution.state_api \
    --state-dir "$ci_eval_state_dir" --secrets "$HERCULES_CI_SECRETS_JSON" \
    --port-file "$1/state-api.port" &
  ci_eval_state_api_pid=$!
  until [[ -s $1/state-api.port ]]; do
    tries=$((tries + 1))
    if ! kill -0 "$ci_eval_state_api_pid" 2>/dev/null || [[ $tries -gt 600 ]]; then
      echo "ci-eval: the state API did not start" >&2
      exit 1
    fi
    sleep 0.05
  done
  HERCULES_CI_API_BASE_URL="http://127.0.0.1:$(<"$1/state-api.port")"
  export HERCULES_CI_API_BASE_URL
}

ci_eval_stop_state_api() {
  if [[ -n ${ci_eval_state_api_pid:-} ]]; then
    kill "$ci_eval_state_api_pid" 2>/dev/null
    wait "$ci_eval_state_api_pid" 2>/dev/null
    ci_eval_state_api_pid=
  fi
}
"""


def render_library_script(
    effects: Iterable[RunEffect], document: dict[str, Any], base: Path
) -> str:
    """The bash script for the effects that run, some made by the real library (an effect
    of the bundled model among them runs as `nixeval.execution.shell` writes it)."""
    effects = list(effects)
    bundled = any(e.library is None for e in effects)
    head = [
        "#!/usr/bin/env bash",
        generated_by(document),
        "# Runs the effect(s) below as the Hercules CI agent runs an effect derivation: its",
        "# phases under bash with stdenv's `set -eu -o pipefail` and hercules-ci-effects' own",
        "# setup hook, sourced from the pinned copy named below. Tools on PATH: bash, jq, curl,",
        "# and the commands the effects run; $CI_EVAL_PYTHON (default python3) is a Python with",
        "# ci-eval, which serves the Hercules CI state API on 127.0.0.1 for the hook's",
        "# getStateFile/putStateFile. Secrets: $HERCULES_CI_SECRETS_JSON, an object keyed by",
        "# each effect's secretsMap names. State files: $CI_EVAL_STATE_DIR (default",
        "# .ci-eval/state), written atomically, the previous version kept as NAME.previous.",
        "# Unlike the agent's sandbox, nothing is written outside the build directory: no",
        "# /etc/passwd (the library's initScript), no copy into / (__hci_effect_fsroot_copy).",
        "# The texts of the effect are single-quoted: they are evaluated when the phases run.",
        "# shellcheck disable=SC2016",
        "set -eu -o pipefail",
        "",
        *PROLOGUE,
    ]
    if bundled:
        head += [*BUNDLED_PROLOGUE, HELPERS.strip("\n")]
    else:
        head.append(BUILD_HELPERS.strip("\n"))
    head.append(STDENV.strip("\n"))
    body: list[str] = []
    for number, effect in enumerate(effects, 1):
        if effect.library is None:
            body += effect_functions(number, effect, base)
        else:
            body += _library_effect(number, effect, base)
    calls = [f"(effect_{n})" for n in range(1, len(effects) + 1)]
    return "\n".join([*head, "", *body, *calls]) + "\n"


def _library_effect(number: int, effect: RunEffect, base: Path) -> list[str]:
    assert effect.library is not None
    hook = effect.library / SETUP_HOOK
    lines = [
        f'ci_eval_dir="$ci_eval_build"/{number}',
        'mkdir -p "$ci_eval_dir"',
        'cd "$ci_eval_dir"',
        "trap 'exit 130' INT",
        "trap 'exit 143' TERM",
    ]
    if effect.secrets:
        lines += secret_checks(effect)
    lines += [
        'ci_eval_secrets_file "$ci_eval_dir"',
        "trap ci_eval_exit_handler EXIT",
        'ci_eval_start_state_api "$ci_eval_dir"',
        "# The derivation's environment.",
        "export IN_HERCULES_CI_EFFECT=true",
        "# ci-eval never copies into /: the setup hook's own guard says it is done.",
        "__hci_effect_fsroot_copied=1",
        *environment_lines(effect, base),
        *file_lines(effect, base),
    ]
    builder = effect.builder
    lines.append(
        "# The texts the phases evaluate, and the phases' own, as the derivation has them."
    )
    for variable, text in [*builder["scripts"].items(), *builder["phaseTexts"].items()]:
        if not SHELL_NAME.match(variable):
            raise ValueError(f"not a derivation variable: {variable!r}")
        lines.append(f"export {variable}={quote(text)}")
    lines += [
        "# hercules-ci-effects' setup hook, from the pinned source the effect was made by.",
        "# shellcheck source=/dev/null",
        f"source {quote(str(hook))}",
        "runHook postHook",
    ]
    for phase in builder["phases"]:
        lines.append(f"# {phase}")
        if phase == "initPhase":
            lines += [
                "# as ci-eval runs it: stdin at its end, the preInit hooks (the setup hook's",
                "# Hercules CI API headers), and instead of the library's initScript a HOME of",
                "# the effect's own in the build directory, with ~/.ssh and 'BatchMode yes'.",
                "exec </dev/null",
                "runHook preInit",
                'ci_eval_init "$ci_eval_dir"',
                "runHook postInit",
            ]
        elif phase in builder["phaseTexts"]:
            lines.append(f'eval "${phase}"')
        elif phase == "unpackPhase" and effect.source is not None:
            how = "filtered" if effect.source.filtered else "all"
            lines += [
                "# stdenv's: a copy of src, where the phases run.",
                f'ci_eval_unpack {quote(str(effect.source.path))} "$ci_eval_dir/src" {how}',
            ]
        else:
            lines.append("# (stdenv's own phase, with nothing to do here)")
    out = [f"# {escape(effect.attr_path or '(root)')}: {effect.function} at {escape(effect.at)}"]
    return [*out, f"effect_{number}() {{", *indent(lines), "}", ""]
