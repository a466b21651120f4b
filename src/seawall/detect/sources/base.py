"""The contract between event sources and the rule engine.

Events stay plain dicts (the raw decoded JSON). A source says which Falco fields it can
extract and how; the rule compiler binds each field in a condition to its extractor once,
so evaluating a rule is calling closures on the raw dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

# extract(event, arg) -> value, or MISSING when the event does not carry the field.
# `arg` is the text inside `field[...]`, or None when the rule gave no argument.
Extractor = Callable[[dict[str, Any], str | None], Any]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


def get_path(ev: Any, *keys: str) -> Any:
    """The value at ev[k1][k2]..., or MISSING when a level is absent, null or not an object."""
    for key in keys:
        if not isinstance(ev, dict):
            return MISSING
        ev = ev.get(key)
        if ev is None:
            return MISSING
    return ev


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One Falco field a source can extract.

    type: Falco field type (string, uint64, int64, bool, ipaddr, ipnet, port, abstime, ...)
    is_list: a multi-value field (its value is a list; `in`/`intersects` compare sets)
    arg: none | optional | required  (whether `field[arg]` is accepted or needed)
    """

    name: str
    extract: Extractor
    type: str = "string"
    is_list: bool = False
    arg: str = "none"
    description: str = ""


@dataclass(frozen=True, slots=True)
class BadLine:
    """An input line that could not be decoded: reported with its line number."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class EventSource:
    """An event source: its Falco `source` name, its fields, and its reader.

    read(stream, name) yields (line number, event dict) pairs, or BadLine for input that
    could not be decoded; it never raises for a bad line, so the stream goes on.
    """

    name: str
    falco_source: str  # the `source:` rules name: syscall, k8s_audit, aws_cloudtrail, ...
    fields: dict[str, FieldDef]
    read: Callable[[IO[bytes], str], Iterator[tuple[int, dict[str, Any]] | BadLine]]
    time_of: Callable[[dict[str, Any]], str | None] = field(default=lambda event: None)
    # The Falco plugins (name, version) whose field set this source implements: what a
    # rules file's `required_plugin_versions` is checked against (docs/detect.md).
    plugins: tuple[tuple[str, str], ...] = ()
