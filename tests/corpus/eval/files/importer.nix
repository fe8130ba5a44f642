{ value = import ./sub/rel.nix; dir = import ./sub; }
