"""Cilium Tetragon JSON export (process_exec, process_exit, process_kprobe, process_connect...)
mapped to Falco's syscall fields (evt.*, proc.*, user.*, fd.*, container.*, k8s.*).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import IO, Any

from seawall.detect.sources.base import MISSING, BadLine, EventSource
from seawall.detect.sources.jsonstream import read_json_values
from seawall.detect.sources.syscall import CONTAINER_PLUGIN, Extract, syscall_fields

Event = dict[str, Any]

KINDS = (
    "process_exec",
    "process_exit",
    "process_kprobe",
    "process_tracepoint",
    "process_uprobe",
    "process_lsm",
    "process_connect",
    "process_close",
    "process_listen",
    "process_accept",
    "process_loader",
)
_KIND_EVT = {
    "process_exec": "execve",
    "process_exit": "procexit",
    "process_connect": "connect",
    "process_close": "close",
    "process_listen": "listen",
    "process_accept": "accept",
}
_KPROBE_EVT = {
    "fd_install": "openat",
    "security_file_permission": "read",
    "security_file_open": "openat",
    "security_mmap_file": "mmap",
    "tcp_connect": "connect",
    "tcp_close": "close",
    "tcp_sendmsg": "sendmsg",
    "sys_setuid": "setuid",
    "sys_write": "write",
    "sys_mount": "mount",
    "sys_ptrace": "ptrace",
    "sys_unshare": "unshare",
    "sys_setns": "setns",
    "commit_creds": "setresuid",
}


def kind_of(ev: Event) -> str | None:
    for kind in KINDS:
        if kind in ev:
            return kind
    return None


_EMPTY: dict[str, Any] = {}
# per-event cache key: not a string, so no JSON input can forge it
CTX_KEY: Any = ("seawall", "tetragon-ctx")


def _ctx(
    ev: Event,
) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(kind, body, process, parent, pod, container) of an event, computed once per event."""
    ctx = ev.get(CTX_KEY)
    if ctx is not None:
        return ctx  # type: ignore[no-any-return]
    kind = "process_exec" if "process_exec" in ev else (kind_of(ev) or "")
    body = ev.get(kind) if kind else None
    body = body if body.__class__ is dict else _EMPTY
    proc = body.get("process")
    proc = proc if proc.__class__ is dict else _EMPTY
    parent = body.get("parent")
    parent = parent if parent.__class__ is dict else _EMPTY
    pod = proc.get("pod")
    pod = pod if pod.__class__ is dict else _EMPTY
    container = pod.get("container")
    container = container if container.__class__ is dict else _EMPTY
    ctx = (kind, body, proc, parent, pod, container)
    ev[CTX_KEY] = ctx
    return ctx


def _body(ev: Event) -> dict[str, Any]:
    return _ctx(ev)[1]


def _proc(ev: Event) -> dict[str, Any]:
    return _ctx(ev)[2]


def _parent(ev: Event) -> dict[str, Any]:
    return _ctx(ev)[3]


def _pod(ev: Event) -> dict[str, Any]:
    return _ctx(ev)[4]


def _container(ev: Event) -> dict[str, Any]:
    return _ctx(ev)[5]


def _image_name(ev: Event) -> Any:
    image = _container(ev).get("image")
    return image.get("name", MISSING) if isinstance(image, dict) else MISSING


def _repository(image: str) -> str:
    image = image.split("@", 1)[0]
    slash = image.rfind("/")
    colon = image.rfind(":")
    return image[:colon] if colon > slash else image


def _name(proc: dict[str, Any]) -> Any:
    binary = proc.get("binary")
    return binary.rpartition("/")[2] if binary.__class__ is str and binary else MISSING


def _cmdline(proc: dict[str, Any]) -> Any:
    name = _name(proc)
    if name is MISSING:
        return MISSING
    args = proc.get("arguments")
    return f"{name} {args}" if args else name


def _ancestors(ev: Event) -> list[dict[str, Any]]:
    chain = [_parent(ev)] if _parent(ev) else []
    extra = _body(ev).get("ancestors")
    if isinstance(extra, list):
        chain.extend(a for a in extra if isinstance(a, dict))
    return chain


def _ancestor(pick: Any) -> Extract:
    def extract(ev: Event, arg: str | None) -> Any:
        if arg is None:
            values = [pick(a) for a in _ancestors(ev)]
            values = [v for v in values if v is not MISSING]
            return values or MISSING
        try:
            level = int(arg)
        except ValueError:
            return MISSING
        if level == 0:
            return pick(_proc(ev))
        chain = _ancestors(ev)
        return pick(chain[level - 1]) if 0 < level <= len(chain) else MISSING

    return extract


def _evt_type(ev: Event, arg: str | None) -> Any:
    body = _body(ev)
    kind = _ctx(ev)[0]
    if kind in _KIND_EVT:
        return _KIND_EVT[kind]
    function = body.get("function_name") or body.get("event")
    if function in _FILE_FUNCS:
        return "openat"  # file access kprobes read as Falco's open events
    if isinstance(function, str):
        short = function
        for prefix in ("__x64_", "__arm64_", "__ia32_"):
            short = short.removeprefix(prefix)
        return _KPROBE_EVT.get(short, short.removeprefix("sys_"))
    return MISSING


_MAY_WRITE = 2
_MAY_READ = 4
_FILE_FUNCS = ("security_file_permission", "security_file_open", "fd_install")


def _access(ev: Event) -> int | None:
    """For file kprobes: the MAY_* access mask (security_file_permission's int arg)."""
    body = _body(ev)
    if body.get("function_name") not in _FILE_FUNCS:
        return None
    for arg in body.get("args") or []:
        if isinstance(arg, dict) and isinstance(arg.get("int_arg"), int):
            return int(arg["int_arg"])
    return 0


def _is_open(mask: int) -> Extract:
    def extract(ev: Event, arg: str | None) -> Any:
        access = _access(ev)
        if access is None:
            return MISSING
        return bool(access & mask)

    return extract


def _file_path(ev: Event) -> Any:
    for arg in _body(ev).get("args") or []:
        if isinstance(arg, dict):
            for key in ("file_arg", "path_arg", "linux_binprm_arg"):
                value = arg.get(key)
                if isinstance(value, dict) and isinstance(value.get("path"), str):
                    return value["path"]
    return MISSING


def _sock(ev: Event) -> dict[str, Any]:
    body = _body(ev)
    if "destination_ip" in body or "source_ip" in body:
        return {
            "saddr": body.get("source_ip"),
            "sport": body.get("source_port"),
            "daddr": body.get("destination_ip"),
            "dport": body.get("destination_port"),
            "protocol": body.get("protocol"),
        }
    for arg in body.get("args") or []:
        if isinstance(arg, dict) and isinstance(arg.get("sock_arg"), dict):
            return dict(arg["sock_arg"])
    return {}


def _sock_field(key: str) -> Extract:
    def extract(ev: Event, arg: str | None) -> Any:
        value = _sock(ev).get(key)
        return MISSING if value is None else value

    return extract


def _fd_name(ev: Event, arg: str | None) -> Any:
    path = _file_path(ev)
    if path is not MISSING:
        return path
    sock = _sock(ev)
    if sock.get("daddr"):
        return f"{sock.get('saddr')}:{sock.get('sport')}->{sock.get('daddr')}:{sock.get('dport')}"
    return MISSING


def _fd_typechar(ev: Event, arg: str | None) -> Any:
    if _file_path(ev) is not MISSING:
        return "f"
    sock = _sock(ev)
    if sock:
        return "4" if ":" not in str(sock.get("daddr", "")) else "6"
    return MISSING


def _fd_type(ev: Event, arg: str | None) -> Any:
    char = _fd_typechar(ev, arg)
    return {"f": "file", "4": "ipv4", "6": "ipv6"}.get(char, MISSING) if char else MISSING


def _l4proto(ev: Event, arg: str | None) -> Any:
    proto = _sock(ev).get("protocol")
    return str(proto).lower() if proto else MISSING


def _user_name(ev: Event, arg: str | None) -> Any:
    proc = _proc(ev)
    user = proc.get("user")
    if isinstance(user, dict) and user.get("name"):
        return user["name"]
    return "root" if proc.get("uid") == 0 else MISSING


def _loginuid(ev: Event, arg: str | None) -> Any:
    auid = _proc(ev).get("auid")
    if auid is None:
        return MISSING
    return -1 if auid == 4294967295 else auid


def _caps(kind: str) -> Extract:
    def extract(ev: Event, arg: str | None) -> Any:
        caps = _proc(ev).get("cap")
        values = caps.get(kind) if isinstance(caps, dict) else None
        return " ".join(map(str, values)) if isinstance(values, list) else MISSING

    return extract


def _container_id(ev: Event, arg: str | None) -> Any:
    docker = _proc(ev).get("docker")
    if isinstance(docker, str) and docker:
        return docker[:12]
    cid = _container(ev).get("id")
    if isinstance(cid, str) and cid:
        return cid.split("://", 1)[-1][:12]
    return "host"


def _image_digest(ev: Event, arg: str | None) -> Any:
    image = _container(ev).get("image")
    image_id = image.get("id") if isinstance(image, dict) else None
    if isinstance(image_id, str) and "@" in image_id:
        return image_id.split("@", 1)[1]
    return MISSING


def _label(ev: Event, arg: str | None) -> Any:
    labels = _pod(ev).get("pod_labels")
    if not isinstance(labels, dict):
        return MISSING
    if arg is None:
        return ", ".join(f"{k}:{v}" for k, v in labels.items())
    return labels.get(arg, MISSING)


def _get(getter: Any, key: str) -> Extract:
    def extract(ev: Event, arg: str | None) -> Any:
        value = getter(ev).get(key)
        return MISSING if value is None else value

    return extract


def _time(ev: Event) -> str | None:
    value = ev.get("time")
    return str(value) if value else None


def _evt_args(ev: Event, arg: str | None) -> Any:
    proc = _proc(ev)
    if _ctx(ev)[0] == "process_exec":
        return f"filename={proc.get('binary', '')}"
    return MISSING


def _evt_arg(ev: Event, arg: str | None) -> Any:
    if arg in ("filename", "exe", "pathname", "name", "path"):
        path = _file_path(ev)
        return proc_binary(ev) if path is MISSING and arg in ("filename", "exe") else path
    if arg == "flags":
        return MISSING
    return MISSING


def proc_binary(ev: Event) -> Any:
    binary = _proc(ev).get("binary")
    return binary if isinstance(binary, str) and binary else MISSING


def _is_upper(ev: Event, arg: str | None) -> Any:
    props = _proc(ev).get("binary_properties")
    if isinstance(props, dict) and "file" in props:
        return bool(props.get("file", {}).get("upper_layer", False))
    return MISSING


def _workload(ev: Event, arg: str | None) -> Any:
    pod = _pod(ev)
    if pod.get("workload_kind") == "Deployment":
        return pod.get("workload", MISSING)
    return MISSING


EXTRACTORS: dict[str, Extract] = {
    "evt.type": _evt_type,
    "syscall.type": _evt_type,
    "evt.dir": lambda ev, arg: "<",
    "evt.time": lambda ev, arg: _time(ev) or MISSING,
    "evt.time.iso8601": lambda ev, arg: _time(ev) or MISSING,
    "evt.datetime": lambda ev, arg: _time(ev) or MISSING,
    "evt.res": lambda ev, arg: "SUCCESS",
    "evt.rawres": lambda ev, arg: 0,
    "evt.args": _evt_args,
    "evt.is_open_write": _is_open(_MAY_WRITE),
    "evt.is_open_read": _is_open(_MAY_READ),
    "fd.num": lambda ev, arg: 3 if _file_path(ev) is not MISSING else MISSING,
    "evt.arg": _evt_arg,
    "evt.source": lambda ev, arg: "syscall",
    "evt.hostname": lambda ev, arg: ev.get("node_name", MISSING),
    "proc.name": lambda ev, arg: _name(_proc(ev)),
    "proc.exe": lambda ev, arg: proc_binary(ev),
    "proc.exepath": lambda ev, arg: proc_binary(ev),
    "proc.args": lambda ev, arg: _proc(ev).get("arguments") or "",
    "proc.cmdline": lambda ev, arg: _cmdline(_proc(ev)),
    "proc.pid": _get(_proc, "pid"),
    "proc.vpid": _get(_proc, "pid"),
    "proc.cwd": _get(_proc, "cwd"),
    "proc.tty": lambda ev, arg: 0,
    "proc.ppid": _get(_parent, "pid"),
    "proc.pname": lambda ev, arg: _name(_parent(ev)),
    "proc.pexe": lambda ev, arg: _parent(ev).get("binary", MISSING),
    "proc.pexepath": lambda ev, arg: _parent(ev).get("binary", MISSING),
    "proc.pcmdline": lambda ev, arg: _cmdline(_parent(ev)),
    "proc.aname": _ancestor(_name),
    "proc.aexe": _ancestor(lambda p: p.get("binary", MISSING)),
    "proc.aexepath": _ancestor(lambda p: p.get("binary", MISSING)),
    "proc.apid": _ancestor(lambda p: p.get("pid", MISSING)),
    "proc.acmdline": _ancestor(_cmdline),
    "proc.is_exe_upper_layer": _is_upper,
    "proc.exe_flags": _get(_proc, "flags"),
    "user.uid": _get(_proc, "uid"),
    "user.name": _user_name,
    "user.loginuid": _loginuid,
    "thread.cap_effective": _caps("effective"),
    "thread.cap_permitted": _caps("permitted"),
    "thread.cap_inheritable": _caps("inheritable"),
    "fd.name": _fd_name,
    "fd.nameraw": _fd_name,
    "fd.directory": lambda ev, arg: (
        posixpath.dirname(p) if (p := _file_path(ev)) is not MISSING else MISSING
    ),
    "fd.filename": lambda ev, arg: (
        posixpath.basename(p) if (p := _file_path(ev)) is not MISSING else MISSING
    ),
    "fd.typechar": _fd_typechar,
    "fd.type": _fd_type,
    "fd.l4proto": _l4proto,
    "fd.sip": _sock_field("daddr"),
    "fd.rip": _sock_field("daddr"),
    "fd.cip": _sock_field("saddr"),
    "fd.lip": _sock_field("saddr"),
    "fd.sport": _sock_field("dport"),
    "fd.rport": _sock_field("dport"),
    "fd.cport": _sock_field("sport"),
    "fd.lport": _sock_field("sport"),
    "fd.snet": _sock_field("daddr"),
    "fd.rnet": _sock_field("daddr"),
    "fd.cnet": _sock_field("saddr"),
    "fd.lnet": _sock_field("saddr"),
    "fd.connected": lambda ev, arg: True if _ctx(ev)[0] == "process_connect" else MISSING,
    "container.id": _container_id,
    "container.name": _get(_container, "name"),
    "container.image": lambda ev, arg: _image_name(ev),
    "container.image.repository": lambda ev, arg: (
        _repository(n) if isinstance(n := _image_name(ev), str) else MISSING
    ),
    "container.image.tag": lambda ev, arg: (
        n.rsplit(":", 1)[1]
        if isinstance(n := _image_name(ev), str) and ":" in n.rsplit("/", 1)[-1]
        else MISSING
    ),
    "container.image.digest": _image_digest,
    "container.privileged": lambda ev, arg: (
        sc.get("privileged", MISSING)
        if isinstance(sc := _container(ev).get("security_context"), dict)
        else MISSING
    ),
    "container.start_ts": _get(_container, "start_time"),
    "k8s.ns.name": _get(_pod, "namespace"),
    "k8s.pod.name": _get(_pod, "name"),
    "k8s.pod.label": _label,
    "k8s.pod.labels": _label,
    "k8s.deployment.name": _workload,
}


def read(stream: IO[bytes], name: str) -> Iterator[tuple[int, Event] | BadLine]:
    """Tetragon export: one JSON object per line (or whole documents), keyed by event kind."""
    for item in read_json_values(stream, name):
        if isinstance(item, BadLine):
            yield item
            continue
        line, value = item
        if not isinstance(value, dict) or kind_of(value) is None:
            yield BadLine(line, "not a Tetragon event (no process_* key)")
            continue
        yield line, value


def asset_of(ev: Event) -> str:
    """The workload an event happened in: k8s:<node>/<namespace>/pod/<pod>/<container>."""
    pod = _pod(ev)
    if pod:
        container = _container(ev).get("name", "")
        return f"k8s:{ev.get('node_name', 'node')}/{pod.get('namespace', '')}/pod/" + (
            f"{pod.get('name', '')}/{container}"
        )
    docker = _proc(ev).get("docker")
    if docker:
        return f"container:{docker[:12]}"
    return f"host:{ev.get('node_name', 'unknown')}"


SOURCE = EventSource(
    name="tetragon",
    falco_source="syscall",
    fields=syscall_fields(EXTRACTORS),
    read=read,
    time_of=_time,
    plugins=(CONTAINER_PLUGIN,),
)
