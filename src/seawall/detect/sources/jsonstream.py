"""Reading JSON event streams: JSON lines, or whole documents (pretty-printed exports).

Bad input never stops the stream: an undecodable line becomes a BadLine with its number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import msgspec

from seawall.detect.sources.base import BadLine

MAX_LINE = 4 * 1024 * 1024
MAX_DOCUMENT = 256 * 1024 * 1024
_decode = msgspec.json.decode
# json (unlike msgspec) accepts a lone UTF-16 surrogate escape ("\ud800") and returns a str
# that cannot be encoded as UTF-8: any alert quoting it crashed every output
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _decode_line(raw: bytes) -> Any:
    return _decode(raw)


def read_json_values(stream: IO[bytes], name: str) -> Iterator[tuple[int, Any] | BadLine]:
    """Yield (line, decoded value) for each JSON value in `stream`, BadLine for bad input.

    JSON lines are decoded line by line; if the first line is not a complete JSON value,
    the stream is read as a sequence of (possibly multi-line) JSON documents.
    """
    first = stream.readline(MAX_LINE + 1)
    while first and not first.strip():
        first = stream.readline(MAX_LINE + 1)
    if not first:
        return
    try:
        value = _decode_line(first)
    except (msgspec.DecodeError, RecursionError) as exc:
        if first.lstrip()[:1] in (b"{", b"["):
            # the start of a multi-line document (a pretty-printed export): read documents
            rest = stream.read(MAX_DOCUMENT)
            yield from _documents(first + rest)
            if stream.read(1):
                yield BadLine(0, f"input larger than {MAX_DOCUMENT} bytes; the rest was skipped")
            return
        yield BadLine(1, f"not JSON ({exc})")
    else:
        yield 1, value
    lineno = 1
    for raw in iter(lambda: stream.readline(MAX_LINE + 1), b""):
        lineno += 1
        if len(raw) > MAX_LINE:
            yield BadLine(lineno, f"line longer than {MAX_LINE} bytes")
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(MAX_LINE + 1)
            continue
        if not raw.strip():
            continue
        try:
            value = _decode_line(raw)
        except msgspec.DecodeError as exc:
            yield BadLine(lineno, f"not JSON ({exc})")
            continue
        except RecursionError:
            yield BadLine(lineno, "JSON nested too deeply")
            continue
        yield lineno, value


def _documents(data: bytes) -> Iterator[tuple[int, Any] | BadLine]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        yield BadLine(1, "not UTF-8 text")
        return
    decoder = json.JSONDecoder()
    pos = 0
    length = len(text)
    while True:
        while pos < length and text[pos].isspace():
            pos += 1
        if pos >= length:
            return
        line = text.count("\n", 0, pos) + 1
        start = pos
        try:
            value, pos = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError) as exc:
            # a plain ValueError: an integer literal past Python's 4,300-digit limit
            reason = (
                exc.msg
                if isinstance(exc, json.JSONDecodeError)
                else "nested too deeply"
                if isinstance(exc, RecursionError)
                else "a number longer than 4300 digits"
            )
            yield BadLine(line, f"not JSON ({reason})")
            # resynchronise on the next line
            nxt = text.find("\n", pos)
            if nxt < 0:
                return
            pos = nxt + 1
            continue
        if _SURROGATE_ESCAPE.search(text, start, pos) and _has_lone_surrogate(value):
            yield BadLine(line, "not JSON (a lone UTF-16 surrogate escape)")
            continue
        yield line, value


def _has_lone_surrogate(value: Any) -> bool:
    try:
        msgspec.json.encode(value)
    except UnicodeEncodeError:
        return True
    return False


def read_batches(
    stream: IO[bytes],
    name: str,
    events_of: Callable[[Any], Iterable[dict[str, Any]] | None],
    not_events: str,
) -> Iterator[tuple[int, dict[str, Any]] | BadLine]:
    """Yield (line, event) for every event in each JSON value of `stream`.

    `events_of` turns one decoded value (a single event or a batch of them) into its events,
    or None when the value is not this source's; that line becomes BadLine(`not_events`).
    """
    for item in read_json_values(stream, name):
        if isinstance(item, BadLine):
            yield item
            continue
        line, value = item
        events = events_of(value)
        if events is None:
            yield BadLine(line, not_events)
            continue
        for event in events:
            yield line, event
