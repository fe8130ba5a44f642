{ src ? { ref = null; } }:
let
  effectsSrc = builtins.fetchTarball "https://example.invalid/effects.tar.gz";
  pkgs = import (builtins.fetchTarball "https://example.invalid/nixpkgs.tar.gz") {
    overlays = [ (import "${effectsSrc}/overlay.nix") ];
  };
  inherit (pkgs.effects) runIf runCachixDeploy;
in
{
  machines = runIf (src.ref == "refs/heads/main") (
    runCachixDeploy { deploy.agents.machine1 = pkgs.hello; async = true; }
  );
}
