{ src ? { ref = null; } }:
let
  effectsSrc = builtins.fetchTarball "https://example.invalid/effects.tar.gz";
  pkgs = import (builtins.fetchTarball "https://example.invalid/nixpkgs.tar.gz") {
    overlays = [ (import "${effectsSrc}/overlay.nix") ];
  };
  inherit (pkgs.effects) runNixOps;
  inherit (pkgs) lib;
in
lib.optionalAttrs (src.ref == "refs/heads/production") {
  web = runNixOps {
    name = "web";
    src = lib.cleanSource ./.;
    networkFiles = [ "network.nix" ];
    action = "swtich";
  };
}
