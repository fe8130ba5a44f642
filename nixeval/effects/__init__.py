"""hercules-ci-effects models: effect calls become effect descriptions; secrets.json access."""
