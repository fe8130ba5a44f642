"""Hercules CI's rules (hercules-agent.md): which file a repository is evaluated from, the
arguments it is called with, the default ``herculesCI`` of a flake, and its jobs.

The stage between the evaluator (with its modelled nixpkgs) and the effects: it opens a
project as the Hercules CI agent would, so that what ci-eval walks is what the agent walks.
"""
