"""Nix's builtins. So far only the names of the base environment (`names.BASE_ENV`)."""
