"""The work behind each ci-eval command; `nixeval.cli` only parses arguments."""
