"""Helpers shared by the JSON plugin sources (cloudtrail, gcpaudit): json.* and evt.* fields."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from seawall.detect.sources.base import MISSING, FieldDef
from seawall.detect.sources.base import get_path as get_path  # re-exported for the plugins
from seawall.detect.sources.k8saudit import json_pointer

Event = dict[str, Any]


def as_text(value: Any) -> Any:
    if value is MISSING or value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def path_field(name: str, *keys: str) -> FieldDef:
    return FieldDef(name, lambda ev, arg: as_text(get_path(ev, *keys)))


def common_fields(time_of: Callable[[Event], str | None], plugin: str) -> list[FieldDef]:
    return [
        FieldDef("json.value", json_pointer, arg="required"),
        FieldDef("json.obj", lambda ev, arg: json.dumps(ev, separators=(",", ":"))),
        FieldDef("json.rawtime", lambda ev, arg: time_of(ev) or MISSING),
        FieldDef("evt.num", lambda ev, arg: MISSING, type="uint64"),
        FieldDef("evt.time", lambda ev, arg: time_of(ev) or MISSING),
        FieldDef("evt.time.iso8601", lambda ev, arg: time_of(ev) or MISSING),
        FieldDef("evt.datetime", lambda ev, arg: time_of(ev) or MISSING),
        FieldDef("evt.plugininfo", lambda ev, arg: json.dumps(ev, separators=(",", ":"))),
        FieldDef("evt.pluginname", lambda ev, arg: plugin),
        FieldDef("evt.source", lambda ev, arg: plugin),
    ]
