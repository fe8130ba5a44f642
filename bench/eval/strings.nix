# String work over 10,000 items: interpolation, concatStringsSep, replaceStrings.
let
  items = builtins.genList (i: "item-${toString i}") 10000;
  joined = builtins.concatStringsSep "," items;
  replaced = map (s: builtins.replaceStrings [ "item" "-" ] [ "entry" "_" ] s) items;
in builtins.stringLength joined + builtins.stringLength (builtins.concatStringsSep "" replaced)
