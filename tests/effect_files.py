"""ci.nix files for tests: the preamble every fixture has (nixpkgs with the
hercules-ci-effects overlay, both fetched: unknown offline), then the test's effects."""

from __future__ import annotations

from pathlib import Path

_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "cachix-deploy-json-file"


def ci_nix(effects: str) -> str:
    """A legacy ci.nix whose attribute set is `effects` (the text between the braces);
    `pkgs` (with `pkgs.effects`) and `src` are in scope."""
    preamble = (_FIXTURE / "ci.nix").read_text(encoding="utf-8").split("  inherit (pkgs.effects)")
    return f"{preamble[0]}  inherit (pkgs) effects;\nin\n{{\n{effects}}}\n"
