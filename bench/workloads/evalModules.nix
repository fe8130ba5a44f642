# Library benchmark workload "evalModules" (bench/library_bench.py): a synthetic but
# typical lib.evalModules run with the real nixpkgs lib. 50 service modules each declare
# 6 options (300 in all: bool, port, listOf, attrsOf oneOf, attrsOf submodule, lines);
# 50 more modules define them across one another with mkIf, mkMerge, mkDefault,
# mkOverride, mkForce, mkBefore/mkAfter. Forced as JSON (--eval --strict --json).
let
  # The reference sources (bench/library_bench.py passes -I inputs=DIR).
  inputs = <inputs>;
  lib = import (inputs + "/nixpkgs.lib/lib");
  inherit (lib)
    mkOption
    mkIf
    mkMerge
    mkDefault
    mkOverride
    mkForce
    mkBefore
    mkAfter
    types
    ;

  count = 50;
  name = i: "service${lib.fixedWidthNumber 2 i}";
  next = i: name (lib.mod (i + 1) count);

  userModule =
    { name, config, ... }:
    {
      options = {
        uid = mkOption { type = types.int; };
        shell = mkOption {
          type = types.enum [
            "bash"
            "zsh"
            "fish"
          ];
          default = "bash";
        };
        groups = mkOption {
          type = types.listOf types.str;
          default = [ ];
        };
        home = mkOption {
          type = types.str;
          default = "/home/${name}";
        };
        description = mkOption {
          type = types.nullOr types.str;
          default = null;
        };
        isAdmin = mkOption {
          type = types.bool;
          default = builtins.elem "wheel" config.groups;
          readOnly = true;
        };
      };
    };

  declare = i: {
    options.services.${name i} = {
      enable = mkOption {
        type = types.bool;
        default = false;
        description = "Whether to run ${name i}.";
      };
      port = mkOption {
        type = types.port;
        default = 8000 + i;
      };
      tags = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      settings = mkOption {
        type = types.attrsOf (
          types.oneOf [
            types.int
            types.str
            types.bool
          ]
        );
        default = { };
      };
      users = mkOption {
        type = types.attrsOf (types.submodule userModule);
        default = { };
      };
      extraConfig = mkOption {
        type = types.lines;
        default = "";
      };
    };
  };

  define =
    i:
    { config, ... }:
    let
      self = config.services.${name i};
    in
    {
      config = mkMerge [
        {
          services.${name i} = {
            enable = mkDefault (lib.mod i 3 != 0);
            tags = [ "group-${toString (lib.mod i 5)}" ];
            settings.level = mkDefault i;
            extraConfig = mkBefore "# ${name i}";
          };
        }
        (mkIf self.enable {
          services.${next i} = {
            tags = mkAfter [ "after-${name i}" ];
            settings."from-${name i}" = self.port;
            extraConfig = "peer ${name i}:${toString self.port}";
            users."user${toString i}" = {
              uid = 1000 + i;
              groups = lib.optional (lib.mod i 4 == 0) "wheel" ++ [ "users" ];
              description = "user of ${name i}";
            };
          };
        })
        { services.${name i}.port = mkOverride 900 (9000 + i); }
        (mkIf (lib.mod i 7 == 0) {
          services.${name i} = {
            port = mkForce (7000 + i);
            settings.level = "high";
            users."admin${toString i}" = {
              uid = 500 + i;
              shell = "zsh";
              groups = [ "wheel" ];
            };
          };
        })
      ];
    };

  result = lib.evalModules { modules = lib.genList declare count ++ lib.genList define count; };
in
{
  inherit (result.config) services;
  enabled = lib.attrNames (lib.filterAttrs (_: s: s.enable) result.config.services);
  admins = lib.concatMap (
    s: lib.attrNames (lib.filterAttrs (_: u: u.isAdmin) s.users)
  ) (lib.attrValues result.config.services);
}
