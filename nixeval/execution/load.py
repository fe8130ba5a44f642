"""Reading a description document for ``ci-eval run``: from a JSON file or stdin, checked
against the schemas; a problem is an E300 diagnostic at the JSON value it is about, an
input that cannot be read (missing, not a regular file, not UTF-8, larger than
`MAX_DESCRIPTION_BYTES`) an E007."""

from __future__ import annotations

import json
import re
from typing import IO, Any

from ..diagnostics import Diagnostic, error
from ..syntax import Source
from ..syntax.nodes import Span

_SPACE = re.compile(r"[ \t\n\r]*")

# A description is kilobytes; the cap keeps a wrong or hostile input (a huge file, a
# stream that never ends) from taking the run's memory before the schemas see it.
MAX_DESCRIPTION_BYTES = 16 * 1024 * 1024


class DescriptionError(Exception):
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


def read_description(target: str, stdin: IO[str]) -> dict[str, Any]:
    """The validated document in the file `target`, or on `stdin` if it is ``-``."""
    from ..frontend import InputError, input_error, read_bytes, read_stream

    name = "<stdin>" if target == "-" else target
    try:
        if target == "-":
            text = read_stream(stdin, name, MAX_DESCRIPTION_BYTES)
        else:
            text = read_bytes(target, limit=MAX_DESCRIPTION_BYTES).decode("utf-8")
    except InputError as e:
        raise DescriptionError([input_error(str(e), name)]) from None
    except UnicodeDecodeError:
        message = f"cannot read '{name}': it is not UTF-8 text"
        raise DescriptionError([input_error(message, name)]) from None
    return parse_description(text, name)


def parse_description(text: str, name: str) -> dict[str, Any]:
    """The document in `text` (named `name` in messages), validated."""
    source = Source(name, text)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise DescriptionError(
            [error("E300", f"invalid JSON: {e.msg}", source, Span(e.pos, e.pos + 1))]
        ) from None
    if not isinstance(document, dict):
        raise DescriptionError(
            [error("E300", "a description is a JSON object", source, _span(text, 0))]
        )
    from ..effects.validate import validate_document

    problems = validate_document(document)
    if problems:
        raise DescriptionError(
            [
                error(
                    "E300",
                    f"not a valid description: {p.message} (at {p.pointer or '/'}, {p.schema})",
                    source,
                    _span(text, locate(text, p.pointer)),
                )
                for p in problems
            ]
        )
    return document


def _span(text: str, offset: int) -> Span:
    return Span(offset, min(offset + 1, len(text)))


def locate(text: str, pointer: str) -> int:
    """The offset in the JSON `text` of the value a JSON pointer (RFC 6901) names, or of
    the deepest value on its way that exists. The text must be valid JSON."""
    decoder = json.JSONDecoder()
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    i = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    for token in tokens:
        found = _child(text, i, token, decoder)
        if found is None:
            return i
        i = found
    return i


def _child(text: str, i: int, token: str, decoder: json.JSONDecoder) -> int | None:
    """The offset of the member `token` of the object or array at `i`."""

    def skip(j: int) -> int:
        return _SPACE.match(text, j).end()  # type: ignore[union-attr]

    if text[i] == "{":
        j = skip(i + 1)
        while text[j] != "}":
            key, j = decoder.raw_decode(text, j)
            j = skip(skip(j) + 1)  # the ':'
            if key == token:
                return j
            _, j = decoder.raw_decode(text, j)
            j = skip(j)
            if text[j] == ",":
                j = skip(j + 1)
        return None
    if text[i] == "[" and token.isdigit():
        j, index = skip(i + 1), 0
        while text[j] != "]":
            if index == int(token):
                return j
            _, j = decoder.raw_decode(text, j)
            j = skip(j)
            if text[j] == ",":
                j = skip(j + 1)
            index += 1
    return None
