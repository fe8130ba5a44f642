"""The "did you mean" helper: the nearest known name by edit distance."""

from __future__ import annotations

from collections.abc import Iterable


def distance(a: str, b: str, limit: int | None = None) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, swaps.

    With `limit`, a distance above it may be given as ``limit + 1``: the alignment stops
    once it cannot come back within it (`closest` asks of every known name)."""
    if a == b:
        return 0
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        # A cell is one of the row above (+ 0 or 1) or, for a swap, of the row before that
        # (+ 1): when neither row has one within the limit, no later row will.
        if limit is not None and min(cur) > limit and min(prev) + 1 > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to `name`, if it is near enough to be a likely typo.

    Near enough: at most a third of the name's length in edits (at least one), or the
    same name in another case.
    """
    limit = max(1, len(name) // 3)
    best: tuple[int, str] | None = None
    for c in set(candidates):
        if c == name:
            continue
        if c.lower() == name.lower():
            d = 0
        elif abs(len(c) - len(name)) > limit:
            continue  # each letter one has and the other lacks is an edit: too far
        else:
            d = distance(name, c, limit)
        if d <= limit and (best is None or (d, c) < best):
            best = (d, c)
    return best[1] if best else None
