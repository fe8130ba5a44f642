{ src ? { ref = null; } }:
let
  effectsSrc = builtins.fetchTarball "https://example.invalid/effects.tar.gz";
  pkgs = import (builtins.fetchTarball "https://example.invalid/nixpkgs.tar.gz") {
    overlays = [ (import "${effectsSrc}/overlay.nix") ];
  };
  inherit (pkgs.effects) runIf runNixOps;
  inherit (pkgs) lib;
in
{
  web = runIf (src.ref == "refs/heads/production") (
    runNixOps {
      name = "web";
      src = lib.cleanSource ./.;
      networkFiles = [ "network.nix" ];
      userSetupScript = ''
        writeAWSSecret aws default
      '';
      secretsMap.aws = "neat-aws";
    }
  );
}
