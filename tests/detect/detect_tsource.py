"""A tiny event source for rules-loading tests: fields t.s, t.u, t.n, t.p read the event's
keys s, u, n, p; it reads no events (engines are driven with dicts)."""

from __future__ import annotations

from seawall.detect.sources.base import MISSING, EventSource, FieldDef

T_SOURCE = EventSource(
    name="t",
    falco_source="t",
    fields={
        name: FieldDef(name, lambda ev, arg, key=name[2:]: ev.get(key, MISSING))
        for name in ("t.s", "t.u", "t.n", "t.p")
    },
    read=lambda stream, name: iter(()),
)
