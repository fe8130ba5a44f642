import ./value.nix + 2
