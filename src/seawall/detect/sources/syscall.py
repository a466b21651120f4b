"""Field definitions for `source: syscall` rules, shared by the tetragon and falco sources.

Every field Falco documents for syscall events is known (so upstream rules compile); a
source supplies extractors for the fields its events carry, every other field is missing
(and a comparison on a missing field is false, as in Falco).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seawall.detect.sources.base import MISSING, FieldDef
from seawall.detect.sources.syscall_fields import SYSCALL_FIELDS

Extract = Callable[[dict[str, Any], str | None], Any]

# The container plugin that the syscall rules need since Falco 0.41 (container.*, k8s.*
# from container labels): upstream falco_rules.yaml requires 0.4.0, and the field table
# these sources follow (falco-website supported-fields) is of that generation.
CONTAINER_PLUGIN = ("container", "0.4.0")

_TYPES = {
    "charbuf": "string",
    "bytebuf": "string",
    "dynamic": "string",
    "list(charbuf)": "string",
    "ipaddr": "ipaddr",
    "ipnet": "ipnet",
}
# Fields that, without an index, mean "any ancestor" (proc.aname=bash: some ancestor is bash).
ANCESTOR_FIELDS = {"proc.aname", "proc.aexe", "proc.aexepath", "proc.apid", "proc.acmdline"}
LIST_FIELDS = {"fd.types", "proc.aenv", *ANCESTOR_FIELDS}
ARG_FIELDS = {
    "evt.arg",
    "evt.rawarg",
    "evt.type.is",
    "proc.env",
    "proc.aenv",
    "fd.types",
    "k8s.pod.label",
    "k8s.ns.label",
    "k8s.rc.label",
    "k8s.svc.label",
    "k8s.rs.label",
    "k8s.deployment.label",
    "container.label",
    "container.mount",
    "container.mount.source",
    "container.mount.dest",
    "container.mount.mode",
    "container.mount.rdwr",
    "container.mount.propagation",
    *ANCESTOR_FIELDS,
}


def _missing(event: dict[str, Any], arg: str | None) -> Any:
    return MISSING


def syscall_fields(extractors: dict[str, Extract]) -> dict[str, FieldDef]:
    """FieldDefs for every syscall field, using `extractors` where the source has one."""
    fields = {}
    for name, ftype in SYSCALL_FIELDS.items():
        kind = _TYPES.get(ftype, ftype)
        fields[name] = FieldDef(
            name=name,
            extract=extractors.get(name, _missing),
            type=kind,
            is_list=name in LIST_FIELDS,
            arg="optional" if name in ARG_FIELDS else "none",
        )
    for name, extract in extractors.items():
        if name not in fields:
            fields[name] = FieldDef(name=name, extract=extract, arg="optional")
    return fields
