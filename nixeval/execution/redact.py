"""Streaming redaction of secret values from what a local run shows and logs.

The local backend hands secrets to the effect (design.md §7); the effect's programs may print
them (a ``set -x``, a verbose ``cachix``, a failing ``curl`` echoing its header). Everything the
backend shows goes through a `Redactor` first, which replaces each secret value with
``<secret LABEL>``.

Output is shown live, as the effect writes it, so redaction works on a stream: a secret may
arrive split across two writes (even in the middle of a UTF-8 character), and ordinary output
must not wait for a line end or the end of the run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

__all__ = ["MAX_HELD_RUN", "MIN_LINE_LENGTH", "MIN_SECRET_LENGTH", "Redactor"]

# A run of overlapping secret occurrences that may still grow is held back up to this many
# bytes; beyond, it is shown and a continuation gets a label of its own (bounded memory
# against a pathological stream such as endless "aaaa…" with a secret "aaaaaaaa").
MAX_HELD_RUN = 1 << 12
# Shorter values are not redacted: replacing every "yes" or "1" in the output would shred it
# and, by showing where the value is *not*, say more about it than it hides.
MIN_SECRET_LENGTH = 4
# The lines of a multi-line value are redacted on their own when at least this long: a private
# key printed line by line must not leak, but a short line ("}" of a JSON secret, "-----") is
# not secret and is everywhere.
MIN_LINE_LENGTH = 8


def _escaped_forms(text: str) -> list[str]:
    """``text`` and the ways it appears inside a JSON string (as ``jq``, ``nix eval --json``
    or a log of the secrets file print it): with ``\\uXXXX`` escapes and without."""
    forms = [text]
    for ensure_ascii in (True, False):
        escaped = json.dumps(text, ensure_ascii=ensure_ascii)[1:-1]
        if escaped not in forms:
            forms.append(escaped)
    return forms


class Redactor:
    """Replace secret values in a byte stream with ``<secret LABEL>``.

    ``secrets`` maps a label (e.g. ``default-cachix-activate.cachixActivateToken``) to the
    secret value. Each value is redacted as written, in its JSON-escaped forms, and, for a
    multi-line value, line by line (lines of at least `MIN_LINE_LENGTH` characters, leading
    and trailing white space stripped).

    Empty values and values shorter than `MIN_SECRET_LENGTH` characters are **not** redacted:
    they would match all over ordinary output.

    Where occurrences overlap, the longest one starting first names the redaction, and every
    byte of every occurrence is hidden (two overlapping secrets give
    ``<secret A><secret B>``): no part of a secret is ever emitted.

    `feed` returns at once all output that cannot be the start of a secret; only the longest
    suffix of what was fed that is a proper prefix of a secret is held back, until the next
    `feed` or `flush` decides it (and a redaction that this suffix may still extend, up to
    `MAX_HELD_RUN` bytes: its label is shown when it is complete).
    """

    def __init__(self, secrets: Mapping[str, str]) -> None:
        replacements: dict[bytes, bytes] = {}
        for label, value in secrets.items():
            if len(value) < MIN_SECRET_LENGTH:
                continue
            texts = [value]
            if "\n" in value or "\r" in value:
                # Stripped: an indented line printed on its own contains the stripped one,
                # and so does a line printed with other indentation.
                lines = (line.strip() for line in value.splitlines())
                texts += [line for line in lines if len(line) >= MIN_LINE_LENGTH]
            replacement = f"<secret {label}>".encode()
            for text in texts:
                for form in _escaped_forms(text):
                    replacements.setdefault(form.encode("utf-8", "surrogatepass"), replacement)
        # Longest first: at one position the longest form wins.
        self._forms: list[tuple[bytes, bytes]] = sorted(
            replacements.items(), key=lambda item: -len(item[0])
        )
        # Bytes fed but not yet emitted; the first `_covered` of them were already emitted as
        # part of a redaction and are kept only because an occurrence may start in them.
        self._buffer = b""
        self._covered = 0

    def feed(self, data: bytes) -> bytes:
        """Take the next bytes of the stream; return what can be shown now."""
        self._buffer += data
        return self._process(final=False)

    def flush(self) -> bytes:
        """The stream ended: return the rest (what was held back cannot become a secret)."""
        return self._process(final=True)

    def _hold_from(self) -> int:
        """Where the longest suffix of the buffer that is a proper prefix of a form starts
        (the length of the buffer when there is none)."""
        buffer = self._buffer
        size = len(buffer)
        hold = size
        for form, _ in self._forms:
            # Only suffixes shorter than the form can be proper prefixes of it.
            start = max(0, size - len(form) + 1)
            position = buffer.find(form[:1], start, hold)
            while position != -1:
                if form.startswith(buffer[position:]):
                    hold = position
                    break
                position = buffer.find(form[:1], position + 1, hold)
        return hold

    def _occurrences(self) -> list[tuple[int, int, bytes]]:
        """All occurrences (start, end, replacement) of all forms not already redacted,
        overlapping ones included, by start and then longest first."""
        buffer = self._buffer
        found: list[tuple[int, int, bytes]] = []
        for form, replacement in self._forms:
            position = buffer.find(form)
            while position != -1:
                end = position + len(form)
                if end > self._covered:
                    found.append((position, end, replacement))
                position = buffer.find(form, position + 1)
        found.sort(key=lambda item: (item[0], -item[1]))
        return found

    def _process(self, *, final: bool) -> bytes:
        buffer = self._buffer
        if not self._forms:
            self._buffer = b""
            return buffer
        hold = len(buffer) if final else self._hold_from()
        occurrences = self._occurrences()
        out = bytearray()
        emitted = self._covered  # everything before this is already out
        index = 0
        while index < len(occurrences):
            start, end, _ = occurrences[index]
            if start >= hold:
                # Starts in the held-back part: decided by the next feed.
                break
            # The run of overlapping occurrences starting here (and before the held-back
            # part: one starting there may yet turn out to be a longer one).
            run_end = end
            last = index + 1
            while last < len(occurrences) and hold > occurrences[last][0] < run_end:
                run_end = max(run_end, occurrences[last][1])
                last += 1
            if run_end > hold and not final and len(buffer) - start <= MAX_HELD_RUN:
                # The run reaches into the held-back part, where an occurrence may yet
                # complete and extend it: wait, so that one redaction is one label whatever
                # the writes were (the streamed output is the one-shot output).
                hold = start
                break
            if run_end > emitted:
                begin = max(start, emitted)
                out += buffer[emitted:begin]
                out += self._labels(occurrences[index:last], begin, run_end)
                emitted = run_end
            index = last
        if emitted < hold:
            out += buffer[emitted:hold]
            emitted = hold
        # A run longer than MAX_HELD_RUN emitted above may reach into the held-back part:
        # those bytes are out (as its label) but stay in the buffer, where a later occurrence
        # may start.
        self._buffer = buffer[hold:]
        self._covered = emitted - hold
        return bytes(out)

    @staticmethod
    def _labels(run: list[tuple[int, int, bytes]], begin: int, end: int) -> bytes:
        """The replacement of the bytes ``begin..end`` of a run of overlapping occurrences
        (sorted by start): walking from ``begin``, the occurrence covering the current byte
        that reaches furthest names the next piece (a label repeated back to back is written
        once). One pass: a run of many overlapping occurrences stays linear."""
        out = bytearray()
        position = begin
        previous = b""
        reach, replacement = begin, b""
        index = 0
        while position < end:
            # The occurrences are a run: one that starts by `position` reaches past it.
            while index < len(run) and run[index][0] <= position:
                if run[index][1] > reach:
                    reach, replacement = run[index][1], run[index][2]
                index += 1
            if replacement != previous:
                out += replacement
                previous = replacement
            position = reach
        return bytes(out)
