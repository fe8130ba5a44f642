# Building and merging 10,000-key sets: a fold of `//`, listToAttrs, mapAttrs.
let
  n = 10000;
  keys = builtins.genList (i: "k${toString i}") n;
  folded = builtins.foldl' (acc: k: acc // { ${k} = k; }) { } keys;
  listed = builtins.listToAttrs (map (k: { name = k; value = 1; }) keys);
  doubled = builtins.mapAttrs (name: v: v * 2) listed;
  merged = folded // doubled;
in builtins.length (builtins.attrNames merged) + merged.k42 + builtins.stringLength folded.k9999
