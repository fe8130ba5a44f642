# Library benchmark workload "lib-misc" (bench/library_bench.py): nixpkgs lib's own
# lib/tests/misc.nix, unmodified, in one process; `[ ]` when every test passes.
# misc.nix is meant for a newer Nix: one test reaches lib.filesystem.pathType, which is
# `builtins.readFileType` (Nix 2.14). Nix 2.8 lacks it (and so does ci-eval, which follows
# Nix 2.8), so the file is imported with `scopedImport`, recursively, giving `builtins`
# that one polyfill (from readDir of the parent, as nixpkgs' own fallback did).
let
  # The reference sources (bench/library_bench.py passes -I inputs=DIR).
  inputs = <inputs>;
  polyfills = {
    readFileType =
      path:
      if baseNameOf path == "" then "directory" else (builtins.readDir (dirOf path)).${baseNameOf path};
  };
  scope = {
    builtins = builtins // polyfills;
    import = scopedImport scope;
  };
in
scopedImport scope (inputs + "/nixpkgs.lib/lib/tests/misc.nix")
