"""The whole suite runs offline and with an empty cache of its own: no test fetches from
the network or sees what the machine's ci-eval cache holds, unless it sets these itself
(the fetching tests serve archives from 127.0.0.1)."""

from __future__ import annotations

import os
import tempfile

# Set at import, before any test starts a ci-eval process, so every process inherits them.
os.environ["CI_EVAL_OFFLINE"] = "1"
os.environ["CI_EVAL_CACHE_DIR"] = tempfile.mkdtemp(prefix="ci-eval-test-cache-")
