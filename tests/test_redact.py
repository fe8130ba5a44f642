"""The streaming redactor: no part of a secret is ever shown, ordinary output is never held."""

from __future__ import annotations

import json
import random

import pytest

from nixeval.execution.redact import MAX_HELD_RUN, Redactor

TOKEN = "tok-3f9a2c71e0"
KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACB4QmVhZ2xlQmVhZ2xlQmVhZ2xlQmVhZ2xlQmVhZ2xlAAAAkA==\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)


def run(redactor: Redactor, *chunks: bytes) -> bytes:
    """Feed the chunks in order and flush; the whole output."""
    return b"".join(redactor.feed(chunk) for chunk in chunks) + redactor.flush()


def test_whole_secret() -> None:
    r = Redactor({"cachix.token": TOKEN})
    out = run(r, f"export TOKEN={TOKEN}\ndone\n".encode())
    assert out == b"export TOKEN=<secret cachix.token>\ndone\n"


def test_secret_split_at_every_boundary() -> None:
    text = f"before {TOKEN} after {TOKEN}".encode()
    expected = b"before <secret t> after <secret t>"
    for split in range(len(text) + 1):
        r = Redactor({"t": TOKEN})
        first = r.feed(text[:split])
        second = r.feed(text[split:])
        rest = r.flush()
        assert first + second + rest == expected, split
        for part in (first, second, rest):
            assert TOKEN[:4].encode() not in part


def test_secret_split_in_three_at_every_boundary() -> None:
    text = f"x{TOKEN}y".encode()
    for i in range(len(text) + 1):
        for j in range(i, len(text) + 1):
            r = Redactor({"t": TOKEN})
            assert run(r, text[:i], text[i:j], text[j:]) == b"x<secret t>y", (i, j)


def test_byte_by_byte() -> None:
    text = f"a{TOKEN}b{KEY}c".encode()
    r = Redactor({"t": TOKEN, "k": KEY})
    shown = [r.feed(text[i : i + 1]) for i in range(len(text))]
    assert b"".join(shown) + r.flush() == b"a<secret t>b<secret k>c"


def test_multiple_secrets() -> None:
    r = Redactor({"a": "alpha-secret", "b": "bravo-secret"})
    out = run(r, b"alpha-secret and bravo-secret, bravo-secret")
    assert out == b"<secret a> and <secret b>, <secret b>"


def test_longer_secret_wins_when_one_contains_the_other() -> None:
    r = Redactor({"short": "abcd1234", "long": "abcd1234efgh"})
    assert run(r, b"[abcd1234efgh] [abcd1234]") == b"[<secret long>] [<secret short>]"
    # Split just after the shorter one: the longer may still come, so it is held.
    r = Redactor({"short": "abcd1234", "long": "abcd1234efgh"})
    assert r.feed(b"[abcd1234") == b"["
    assert r.feed(b"efgh]") == b"<secret long>]"


def test_overlapping_secrets_hide_every_byte() -> None:
    # "cdefgh" starts inside "abcd": both are hidden, nothing of either is shown.
    secrets = {"A": "xxabcd", "B": "cdefgh"}
    text = b"<xxabcdefgh>"
    for split in range(len(text) + 1):
        r = Redactor(secrets)
        out = run(r, text[:split], text[split:])
        assert out == b"<<secret A><secret B>>", split


def test_json_escaped_form() -> None:
    secret = 'pa"ss\\wo\nrd'
    r = Redactor({"s": secret})
    escaped = json.dumps(secret)[1:-1].encode()
    assert escaped != secret.encode()
    assert run(r, b'{"password": "' + escaped + b'"}') == b'{"password": "<secret s>"}'
    r = Redactor({"s": secret})
    assert run(r, b"raw " + secret.encode() + b" end") == b"raw <secret s> end"


def test_json_escaped_form_split() -> None:
    secret = 'say "hello" now'
    escaped = json.dumps(secret)[1:-1].encode()
    text = b'{"v":"' + escaped + b'"}'
    for split in range(len(text) + 1):
        r = Redactor({"s": secret})
        assert run(r, text[:split], text[split:]) == b'{"v":"<secret s>"}', split


def test_json_escaped_non_ascii() -> None:
    secret = "schlüssel-geheim"
    for form in (json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]):
        r = Redactor({"s": secret})
        assert run(r, f'"{form}"'.encode()) == b'"<secret s>"'


def test_multi_line_key_printed_line_by_line() -> None:
    # A program printing the key with its own line ends, or one line per log record.
    printed = "".join(f"log: {line}\r\n" for line in KEY.splitlines())
    r = Redactor({"deploy.key": KEY})
    out = run(r, printed.encode())
    for line in KEY.splitlines():
        if len(line) >= 8:
            assert line.encode() not in out
    assert out.count(b"<secret deploy.key>") == 4
    # Whole, it is one redaction, not one per line.
    r = Redactor({"deploy.key": KEY})
    assert run(r, b"key:\n" + KEY.encode() + b"end\n") == b"key:\n<secret deploy.key>end\n"


def test_short_lines_of_a_multi_line_value_are_not_redacted() -> None:
    secret = "{\n  longvalue-123456\n}"
    r = Redactor({"s": secret})
    assert run(r, b"{\n}\nlongvalue-123456\n") == b"{\n}\n<secret s>\n"


@pytest.mark.parametrize("value", ["", "a", "ab", "abc"])
def test_short_values_are_ignored(value: str) -> None:
    r = Redactor({"s": value})
    text = b"a abc ab abcabc\n"
    assert r.feed(text) == text
    assert r.flush() == b""


def test_four_characters_are_redacted() -> None:
    r = Redactor({"pin": "4711"})
    assert run(r, b"pin 4711 ok") == b"pin <secret pin> ok"


def test_ordinary_output_is_not_held_back() -> None:
    r = Redactor({"t": TOKEN, "k": KEY})
    assert r.feed(b"hello\n") == b"hello\n"
    assert r.feed(b"building...") == b"building..."
    # Only what may start a secret waits, and no longer than needed.
    assert r.feed(b" tok-3f") == b" "
    assert r.feed(b"X\n") == b"tok-3fX\n"
    assert r.flush() == b""


def test_held_prefix_is_released_at_flush() -> None:
    r = Redactor({"t": TOKEN})
    assert r.feed(b"end: tok-3f9") == b"end: "
    assert r.flush() == b"tok-3f9"


def test_no_secrets_passes_through() -> None:
    r = Redactor({})
    assert r.feed(b"anything") == b"anything"
    assert r.flush() == b""


def test_utf8_secret_split_inside_a_character() -> None:
    secret = "geheim-schlüssel-€"
    text = f"🔑 {secret} ✓".encode()
    assert len(secret.encode()) > len(secret)
    for split in range(len(text) + 1):
        r = Redactor({"s": secret})
        first = r.feed(text[:split])
        out = first + r.feed(text[split:]) + r.flush()
        assert out == "🔑 <secret s> ✓".encode(), split
        assert "schlüssel".encode() not in first


def test_repeated_and_adjacent_occurrences() -> None:
    r = Redactor({"t": "abab-secret"})
    assert run(r, b"abab-secretabab-secret") == b"<secret t><secret t>"
    # Overlapping occurrences of the same secret: one label, nothing leaks.
    r = Redactor({"t": "aaaaaa"})
    assert run(r, b"xaaaaaaaaay") == b"x<secret t>y"


def test_partial_secret_alone_is_shown() -> None:
    # A prefix of a secret followed by something else is not the secret.
    r = Redactor({"t": TOKEN})
    assert run(r, b"tok-3f9a2c71eX tok-") == b"tok-3f9a2c71eX tok-"


def test_random_streams_match_one_shot_and_never_leak() -> None:
    """Random text made of pieces of the secrets, cut at random: the streamed output equals
    the one-shot output, and no secret appears in it."""
    rng = random.Random(20240601)
    secrets = {"A": "abcab", "B": "cabx", "C": "bcabcabc", "D": "x\nabcabx\n"}
    forms = [b"abcab", b"cabx", b"bcabcabc", b"abcabx"]
    redacted = 0
    for _ in range(300):
        pieces = ["a", "b", "c", "x", "\n", "ab", "abc", "cab", "bcab", "abcab"]
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25))).encode()
        whole = Redactor(secrets)
        expected = whole.feed(text) + whole.flush()
        cuts = sorted(rng.sample(range(len(text) + 1), k=min(len(text) + 1, rng.randint(0, 6))))
        chunks = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        streamed = run(Redactor(secrets), *chunks)
        assert streamed == expected, (text, cuts)
        for form in forms:
            assert form not in streamed, text
        redacted += expected != text
    assert redacted > 200  # the texts do contain secrets


def test_endless_overlapping_run_is_bounded() -> None:
    r = Redactor({"a": "aaaaaaaa"})
    shown = b"".join(r.feed(b"a" * 4096) for _ in range(40))
    assert shown.startswith(b"<secret a>")
    assert b"aaaa" not in shown
    assert len(r._buffer) <= MAX_HELD_RUN + 4096
    assert b"aaaa" not in r.feed(b"a" * 3 + b"!") + r.flush()
