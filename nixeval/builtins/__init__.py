"""Nix's builtins: one registry (`registry.BUILTINS`), one module per theme, and
`base.make_base_env`, which builds the base environment of an evaluation.

Importing this package loads none of them (`names.BASE_ENV` is all the parser needs).
"""
