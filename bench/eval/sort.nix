# Sorting 20,000 integers with a user comparator.
let
  xs = builtins.genList (i: (i * 7919 + 13) - ((i * 7919 + 13) / 20011) * 20011) 20000;
  sorted = builtins.sort (a: b: a < b) xs;
in builtins.elemAt sorted 0 + builtins.elemAt sorted 19999 + builtins.length sorted
