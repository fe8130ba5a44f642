"""ci-eval: an offline Nix evaluator front end for Hercules CI ci.nix files."""

__version__ = "0.1.0"
