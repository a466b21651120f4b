"""Kubernetes audit events (audit.k8s.io/v1 Event), with the k8saudit plugin's ka.* fields.

Field semantics follow falcosecurity/plugins plugins/k8saudit (README field table);
`jevt.*` / `json.*` follow the json plugin (JSON pointer into the raw event).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

from seawall.detect.sources.base import MISSING, BadLine, EventSource, FieldDef, get_path
from seawall.detect.sources.jsonstream import read_batches

Event = dict[str, Any]


def _text(value: Any) -> Any:
    if value is MISSING or value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


@lru_cache(maxsize=1024)
def _pointer(text: str) -> tuple[str, ...]:
    if not text.startswith("/"):
        raise ValueError(f"JSON pointer must start with '/': {text!r}")
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in text[1:].split("/"))


def _to_text_any(value: Any) -> Any:
    """Text form of a JSON value (MISSING stays MISSING); used by generated code."""
    return _text(value)


def json_pointer(ev: Any, arg: str | None) -> Any:
    """jevt.value[/a/b/0]: the value at a JSON pointer, as text (objects JSON-encoded)."""
    if arg is None:
        return MISSING
    parts = _pointer(arg)
    if len(parts) == 1:
        value = ev.get(parts[0])
        if value is None:
            return MISSING
        return value if value.__class__ is str else _text(value)
    for part in parts:
        if isinstance(ev, dict):
            ev = ev.get(part, MISSING)
        elif isinstance(ev, list) and part.isdigit() and int(part) < len(ev):
            ev = ev[int(part)]
        else:
            return MISSING
        if ev is MISSING:
            return MISSING
    return _text(ev)


json_pointer.json_pointer = True  # type: ignore[attr-defined]
json_pointer.text = _to_text_any  # type: ignore[attr-defined]


def _index(values: Any, arg: str | None) -> Any:
    if values is MISSING:
        return MISSING
    if arg is None:
        return values if values else MISSING
    try:
        return values[int(arg)]
    except (ValueError, IndexError):
        return MISSING


def _repository(image: str) -> str:
    image = image.split("@", 1)[0]
    slash = image.rfind("/")
    colon = image.rfind(":")
    return image[:colon] if colon > slash else image


def _containers(kind: str) -> Callable[[Event], list[Any]]:
    def get(ev: Event) -> list[Any]:
        items = get_path(ev, "requestObject", "spec", kind)
        return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []

    return get


def _per_container(
    kind: str, pick: Callable[[Event, dict[str, Any]], Any]
) -> Callable[[Event, str | None], Any]:
    containers = _containers(kind)

    def extract(ev: Event, arg: str | None) -> Any:
        items = containers(ev)
        if not items:
            return MISSING
        values: list[Any] = []
        for container in items:
            value = pick(ev, container)
            if isinstance(value, list):  # per-container lists (ports, capabilities) flatten
                values.extend(value)
            elif value is not MISSING:
                values.append(value)
        return _index(values, arg)

    return extract


def _sc(container: dict[str, Any], key: str) -> Any:
    return _text(get_path(container, "securityContext", key))


def _eff(ev: Event, container: dict[str, Any], key: str) -> str:
    value = get_path(container, "securityContext", key)
    if value is MISSING:
        value = get_path(ev, "requestObject", "spec", "securityContext", key)
    return "0" if value is MISSING else str(value)


def _list_of(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        return MISSING
    return [_text(v) for v in value]


def _binding_subjects(
    kind: str | None, with_ns: bool = False
) -> Callable[[Event, str | None], Any]:
    def extract(ev: Event, arg: str | None) -> Any:
        subjects = get_path(ev, "requestObject", "subjects")
        if not isinstance(subjects, list):
            return MISSING
        out = []
        for s in subjects:
            if not isinstance(s, dict):
                continue
            if kind is None:
                out.append(_text(s))
            elif s.get("kind") == kind:
                name = str(s.get("name", ""))
                out.append(f"{s.get('namespace', '')}:{name}" if with_ns else name)
        return out or MISSING

    return extract


def _role_rules(key: str | None) -> Callable[[Event, str | None], Any]:
    def extract(ev: Event, arg: str | None) -> Any:
        rules = get_path(ev, "requestObject", "rules")
        if not isinstance(rules, list):
            return MISSING
        out: list[str] = []
        for rule in rules:
            if not isinstance(rule, dict):
                continue
            if key is None:
                out.append(_text(rule))
            else:
                values = rule.get(key)
                if isinstance(values, list):
                    out.extend(str(v) for v in values)
        return _index(out, arg) if out else MISSING

    return extract


def _volume_hostpath(ev: Event, arg: str | None) -> Any:
    volumes = get_path(ev, "requestObject", "spec", "volumes")
    if arg is None:
        return MISSING
    if not isinstance(volumes, list):
        return "false"
    for vol in volumes:
        path = get_path(vol, "hostPath", "path")
        if not isinstance(path, str):
            continue
        if (arg.endswith("*") and path.startswith(arg[:-1])) or path == arg:
            return "true"
    return "false"


def _volumes(pick: Callable[[dict[str, Any]], Any]) -> Callable[[Event, str | None], Any]:
    def extract(ev: Event, arg: str | None) -> Any:
        volumes = get_path(ev, "requestObject", "spec", "volumes")
        if not isinstance(volumes, list):
            return MISSING
        values = [pick(v) for v in volumes if isinstance(v, dict)]
        return _index([v for v in values if v is not MISSING], arg)

    return extract


def _volume_type(vol: dict[str, Any]) -> Any:
    for key in vol:
        if key != "name":
            return key
    return MISSING


def _uri_param(ev: Event, arg: str | None) -> Any:
    uri = ev.get("requestURI")
    if not isinstance(uri, str) or arg is None:
        return MISSING
    values = parse_qs(urlsplit(uri).query).get(arg)
    return values[0] if values else MISSING


def _simple(*keys: str) -> Callable[[Event, str | None], Any]:
    # straight-line closures per depth: these run for most events, so no loops
    if len(keys) == 1:
        (k1,) = keys

        def extract1(ev: Event, arg: str | None) -> Any:
            v = ev.get(k1)
            if v is None:
                return MISSING
            return v if v.__class__ is str else _text(v)

        extract1.json_path = keys  # type: ignore[attr-defined]
        return extract1
    if len(keys) == 2:
        k1, k2 = keys

        def extract2(ev: Event, arg: str | None) -> Any:
            v = ev.get(k1)
            if v.__class__ is not dict:
                return MISSING
            v = v.get(k2)
            if v is None:
                return MISSING
            return v if v.__class__ is str else _text(v)

        extract2.json_path = keys  # type: ignore[attr-defined]
        return extract2

    def extract(ev: Event, arg: str | None) -> Any:
        return _text(get_path(ev, *keys))

    extract.json_path = keys  # type: ignore[attr-defined]
    return extract


def _annotation(key: str) -> Callable[[Event, str | None], Any]:
    return _simple("annotations", key)


def _first_container(pick: Callable[[dict[str, Any]], Any]) -> Callable[[Event, str | None], Any]:
    containers = _containers("containers")

    def extract(ev: Event, arg: str | None) -> Any:
        items = containers(ev)
        return pick(items[0]) if items else MISSING

    return extract


def _any_privileged(ev: Event, arg: str | None) -> Any:
    items = _containers("containers")(ev)
    if not items:
        return MISSING
    return (
        "true"
        if any(get_path(c, "securityContext", "privileged") is True for c in items)
        else ("false")
    )


def _configmap_obj(ev: Event, arg: str | None) -> Any:
    data = get_path(ev, "requestObject", "data")
    return _text(data)


def _pod_flag(key: str) -> Callable[[Event, str | None], Any]:
    def extract(ev: Event, arg: str | None) -> Any:
        if get_path(ev, "requestObject", "spec") is MISSING:
            return MISSING
        value = get_path(ev, "requestObject", "spec", key)
        return "false" if value is MISSING else _text(value)

    return extract


def _rawtime(ev: Event, arg: str | None) -> Any:
    stamp = ev.get("stageTimestamp") or ev.get("requestReceivedTimestamp") or ev.get("timestamp")
    return _text(stamp) if stamp else "0"


# the same, as an expression the rule compiler can inline (trusted code, not rule text)
_rawtime.inline_expr = (  # type: ignore[attr-defined]
    "ev.get('stageTimestamp') or ev.get('requestReceivedTimestamp') or ev.get('timestamp') or '0'"
)


FIELDS: list[FieldDef] = []


def _add(name: str, extract: Callable[[Event, str | None], Any], **kw: Any) -> None:
    FIELDS.append(FieldDef(name=name, extract=extract, **kw))


_add("ka.auditid", _simple("auditID"))
_add("ka.stage", _simple("stage"))
_add("ka.auth.decision", _annotation("authorization.k8s.io/decision"))
_add("ka.auth.reason", _annotation("authorization.k8s.io/reason"))
_add("ka.auth.openshift.decision", _annotation("authorization.openshift.io/decision"))
_add("ka.auth.openshift.username", _annotation("authorization.openshift.io/username"))
_add(
    "ka.validations.admission.policy.failure",
    _annotation("validation.policy.admission.k8s.io/validation_failure"),
)
_add("ka.security.pod.violations", _annotation("pod-security.kubernetes.io/audit-violations"))
_add("ka.user.name", _simple("user", "username"))
_add(
    "ka.user.groups",
    lambda ev, arg: _index(_list_of(get_path(ev, "user", "groups")), arg),
    is_list=True,
    arg="optional",
)
_add("ka.impuser.name", _simple("impersonatedUser", "username"))
_add("ka.verb", _simple("verb"))
_add("ka.uri", _simple("requestURI"))
_add("ka.uri.param", _uri_param, arg="required")
_add("ka.target.name", _simple("objectRef", "name"))
_add("ka.target.namespace", _simple("objectRef", "namespace"))
_add("ka.target.resource", _simple("objectRef", "resource"))
_add("ka.target.subresource", _simple("objectRef", "subresource"))
_add(
    "ka.target.pod.name",
    lambda ev, arg: (
        _text(get_path(ev, "objectRef", "name"))
        if get_path(ev, "objectRef", "resource") == "pods"
        else MISSING
    ),
)
_add("ka.req.binding.subjects", _binding_subjects(None), is_list=True)
_add("ka.req.binding.subjects.user_names", _binding_subjects("User"), is_list=True)
_add(
    "ka.req.binding.subjects.serviceaccount_names",
    _binding_subjects("ServiceAccount"),
    is_list=True,
)
_add(
    "ka.req.binding.subjects.serviceaccount_ns_names",
    _binding_subjects("ServiceAccount", with_ns=True),
    is_list=True,
)
_add("ka.req.binding.subjects.group_names", _binding_subjects("Group"), is_list=True)
_add("ka.req.binding.role", _simple("requestObject", "roleRef", "name"))
_add("ka.req.binding.subject.has_name", lambda ev, arg: "N/A", arg="required")
_add(
    "ka.req.configmap.name",
    lambda ev, arg: (
        _text(get_path(ev, "objectRef", "name"))
        if get_path(ev, "objectRef", "resource") == "configmaps"
        else MISSING
    ),
)
_add("ka.req.configmap.obj", _configmap_obj)
_add("ka.req.container.image", _first_container(lambda c: _text(c.get("image"))))
_add(
    "ka.req.container.image.repository",
    _first_container(lambda c: _repository(str(c["image"])) if "image" in c else MISSING),
)
_add("ka.req.container.privileged", _any_privileged)
_add("ka.req.container.host_network", _pod_flag("hostNetwork"))
_add("ka.req.pod.host_ipc", _pod_flag("hostIPC"))
_add("ka.req.pod.host_network", _pod_flag("hostNetwork"))
_add("ka.req.pod.host_pid", _pod_flag("hostPID"))
_add("ka.req.pod.run_as_user", _simple("requestObject", "spec", "securityContext", "runAsUser"))
_add("ka.req.pod.run_as_group", _simple("requestObject", "spec", "securityContext", "runAsGroup"))
_add("ka.req.pod.fs_group", _simple("requestObject", "spec", "securityContext", "fsGroup"))
_add(
    "ka.req.pod.supplemental_groups",
    lambda ev, arg: _list_of(
        get_path(ev, "requestObject", "spec", "securityContext", "supplementalGroups")
    ),
    is_list=True,
)

_PER_CONTAINER: dict[str, Callable[[Event, dict[str, Any]], Any]] = {
    "name": lambda ev, c: _text(c.get("name")),
    "image": lambda ev, c: _text(c.get("image")),
    "image.repository": lambda ev, c: _repository(str(c["image"])) if "image" in c else MISSING,
    "command": lambda ev, c: " ".join(map(str, c["command"])) if c.get("command") else MISSING,
    "args": lambda ev, c: " ".join(map(str, c["args"])) if c.get("args") else MISSING,
    "privileged": lambda ev, c: (
        "true" if get_path(c, "securityContext", "privileged") is True else ("false")
    ),
    "allow_privilege_escalation": lambda ev, c: _sc(c, "allowPrivilegeEscalation"),
    "read_only_fs": lambda ev, c: _sc(c, "readOnlyRootFilesystem"),
    "run_as_user": lambda ev, c: _sc(c, "runAsUser"),
    "eff_run_as_user": lambda ev, c: _eff(ev, c, "runAsUser"),
    "run_as_group": lambda ev, c: _sc(c, "runAsGroup"),
    "eff_run_as_group": lambda ev, c: _eff(ev, c, "runAsGroup"),
    "proc_mount": lambda ev, c: _sc(c, "procMount"),
    "add_capabilities": lambda ev, c: (
        [str(v) for v in get_path(c, "securityContext", "capabilities", "add")]
        if isinstance(get_path(c, "securityContext", "capabilities", "add"), list)
        else MISSING
    ),
    "host_port": lambda ev, c: (
        [str(p["hostPort"]) for p in c["ports"] if isinstance(p, dict) and "hostPort" in p]
        if isinstance(c.get("ports"), list)
        else MISSING
    ),
}
for _kind in ("containers", "initContainers", "ephemeralContainers"):
    for _suffix, _pick in _PER_CONTAINER.items():
        _add(
            f"ka.req.pod.{_kind}.{_suffix}",
            _per_container(_kind, _pick),
            is_list=True,
            arg="optional",
        )
_add("ka.req.role.rules", _role_rules(None), is_list=True)
for _key in ("apiGroups", "nonResourceURLs", "verbs", "resources"):
    _add(f"ka.req.role.rules.{_key}", _role_rules(_key), is_list=True, arg="optional")
_add("ka.req.service.type", _simple("requestObject", "spec", "type"))
_add(
    "ka.req.service.ports",
    lambda ev, arg: _index(_list_of(get_path(ev, "requestObject", "spec", "ports")), arg),
    is_list=True,
    arg="optional",
)
_add(
    "ka.req.pod.volumes.hostpath",
    _volumes(lambda v: _text(get_path(v, "hostPath", "path"))),
    is_list=True,
    arg="optional",
)
_add("ka.req.volume.hostpath", _volume_hostpath, arg="required")
_add(
    "ka.req.pod.volumes.flexvolume_driver",
    _volumes(lambda v: _text(get_path(v, "flexVolume", "driver"))),
    is_list=True,
    arg="optional",
)
_add("ka.req.pod.volumes.volume_type", _volumes(_volume_type), is_list=True, arg="optional")
_add("ka.resp.name", _simple("responseObject", "metadata", "name"))
_add("ka.response.code", _simple("responseStatus", "code"))
_add("ka.response.reason", _simple("responseStatus", "reason"))
_add("ka.useragent", _simple("userAgent"))
_add(
    "ka.sourceips",
    lambda ev, arg: _index(_list_of(ev.get("sourceIPs")), arg),
    is_list=True,
    arg="optional",
)
_add("ka.cluster.name", lambda ev, arg: _text(ev.get("_seawall_cluster", MISSING)))

# json plugin fields (jevt.* legacy names and json.*)
for _prefix in ("jevt", "json"):
    _add(f"{_prefix}.value", json_pointer, arg="required")
    _add(f"{_prefix}.obj", lambda ev, arg: json.dumps(ev, separators=(",", ":")))
    _add(f"{_prefix}.rawtime", _rawtime)


# The plugins whose fields this source implements: every field of the k8saudit README table
# at falcosecurity/plugins 0b3cbd8d, where the plugin's own rules require k8saudit 0.18.0;
# the managed-cluster variants at the versions those rules accept as alternatives (same ka.*
# field set; the cluster name comes from --cluster, as from their configuration); json.
K8SAUDIT_PLUGINS = (
    ("k8saudit", "0.18.0"),
    ("k8saudit-aks", "0.6.0"),
    ("k8saudit-eks", "0.12.0"),
    ("k8saudit-gke", "0.9.0"),
    ("k8saudit-ovh", "0.6.0"),
    ("json", "0.7.0"),
)


def plugin_common_fields(time_of: Callable[[Event], str | None], plugin: str) -> list[FieldDef]:
    """Fields every plugin event has in Falco (evt.*), for rules' outputs."""
    return [
        FieldDef("evt.num", lambda ev, arg: MISSING, type="uint64"),
        FieldDef("evt.time", lambda ev, arg: time_of(ev) or MISSING),
        FieldDef("evt.time.iso8601", lambda ev, arg: time_of(ev) or MISSING),
        FieldDef("evt.datetime", lambda ev, arg: time_of(ev) or MISSING),
        FieldDef("evt.plugininfo", lambda ev, arg: json.dumps(ev, separators=(",", ":"))),
        FieldDef("evt.pluginname", lambda ev, arg: plugin),
        FieldDef("evt.source", lambda ev, arg: plugin),
    ]


def _time_of(ev: Event) -> str | None:
    stamp = ev.get("stageTimestamp") or ev.get("requestReceivedTimestamp") or ev.get("timestamp")
    return str(stamp) if stamp else None


def is_audit_event(value: Any) -> bool:
    return isinstance(value, dict) and value.get("kind") == "Event" and "verb" in value


def audit_events(value: Any) -> list[Event] | None:
    """The audit events in one decoded JSON value (an Event or an EventList), else None."""
    if is_audit_event(value):
        return [value]
    if isinstance(value, dict) and value.get("kind") == "EventList":
        items = value.get("items")
        if isinstance(items, list):
            return [item for item in items if is_audit_event(item)]
    return None


def read(stream: IO[bytes], name: str) -> Iterator[tuple[int, Event] | BadLine]:
    """Audit events from JSON lines of Event / EventList objects."""
    return read_batches(stream, name, audit_events, "not an audit.k8s.io Event or EventList")


SOURCE = EventSource(
    name="k8saudit",
    falco_source="k8s_audit",
    fields={f.name: f for f in [*FIELDS, *plugin_common_fields(_time_of, "k8saudit")]},
    read=read,
    time_of=_time_of,
    plugins=K8SAUDIT_PLUGINS,
)


def for_cluster(name: str) -> EventSource:
    """The k8saudit source for events of the cluster `name` (`--cluster`): `ka.cluster.name`.

    Audit events do not name their cluster; like the k8saudit-eks/-gke plugins, the name comes
    from configuration. Without it `ka.cluster.name` is missing.
    """
    fields = dict(SOURCE.fields)
    fields["ka.cluster.name"] = FieldDef("ka.cluster.name", lambda ev, arg: name)
    return dataclasses.replace(SOURCE, fields=fields)


def asset_of(ev: Event, cluster: str | None = None) -> str:
    """The Kubernetes object an audit event is about: k8s:<cluster>/<ns>/<resource>/<name>."""
    found = ev.get("objectRef")
    ref: dict[str, Any] = found if isinstance(found, dict) else {}
    cluster = cluster or ev.get("_seawall_cluster") or "cluster"
    namespace = ref.get("namespace") or "_cluster"
    name = ref.get("name") or _created_name(ev)
    return f"k8s:{cluster}/{namespace}/{ref.get('resource', '?')}/{name}"


def _created_name(ev: Event) -> str:
    """A create names its object only in the response (or request) body, not in objectRef."""
    for body in ("responseObject", "requestObject"):
        meta = get_path(ev, body, "metadata")
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            return str(meta["name"])
    return ""
