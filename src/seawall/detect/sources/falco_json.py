"""Falco / sysdig JSON events: Falco's json_output alerts (`output_fields`) and flat
`sysdig -j` records, whose keys are already Falco field names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from seawall.detect.sources.base import MISSING, BadLine, EventSource
from seawall.detect.sources.jsonstream import read_json_values
from seawall.detect.sources.syscall import CONTAINER_PLUGIN, Extract, syscall_fields
from seawall.detect.sources.syscall_fields import SYSCALL_FIELDS

Event = dict[str, Any]


def _fields_of(ev: Event) -> dict[str, Any]:
    inner = ev.get("output_fields")
    return inner if isinstance(inner, dict) else ev


def _extractor(name: str) -> Extract:
    def extract(ev: Event, arg: str | None) -> Any:
        fields = _fields_of(ev)
        key = name if arg is None else f"{name}[{arg}]"
        value = fields.get(key, MISSING)
        if value is None or value == "<NA>":
            return MISSING
        return value

    return extract


def _time(ev: Event) -> str | None:
    value = ev.get("time") or _fields_of(ev).get("evt.time")
    return str(value) if value else None


def read(stream: IO[bytes], name: str) -> Iterator[tuple[int, Event] | BadLine]:
    for item in read_json_values(stream, name):
        if isinstance(item, BadLine):
            yield item
            continue
        line, value = item
        if not isinstance(value, dict):
            yield BadLine(line, "not a JSON object")
            continue
        yield line, value


def asset_of(ev: Event) -> str:
    fields = _fields_of(ev)
    pod = fields.get("k8s.pod.name")
    if pod:
        return f"k8s:cluster/{fields.get('k8s.ns.name', '')}/pod/{pod}"
    cid = fields.get("container.id")
    if cid and cid != "host":
        return f"container:{cid}"
    return f"host:{fields.get('evt.hostname', ev.get('hostname', 'unknown'))}"


SOURCE = EventSource(
    name="falco",
    falco_source="syscall",
    fields=syscall_fields({name: _extractor(name) for name in SYSCALL_FIELDS}),
    read=read,
    time_of=_time,
    plugins=(CONTAINER_PLUGIN,),
)
