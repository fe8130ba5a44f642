{ src ? { ref = null; } }:
let
  effectsSrc = builtins.fetchTarball "https://example.invalid/effects.tar.gz";
  pkgs = import (builtins.fetchTarball "https://example.invalid/nixpkgs.tar.gz") {
    overlays = [ (import "${effectsSrc}/overlay.nix") ];
  };
  inherit (pkgs.effects) runIf runCachixDeploy;
in
{
  machines = runIf (pkgs.cachix.version == "1.7") (
    runCachixDeploy { deploy.agents.machine1 = pkgs.hello; }
  );
}
