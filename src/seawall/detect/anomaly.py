"""Anomaly baselines: learn what each workload normally does, then alert on deviations.

A workload is namespace + controller + container (or the image digest when no workload is
known). Per workload a profile records the processes executed, network destinations,
files written and (for Kubernetes audit events) API actions. `learn` merges what it sees
into a profile (mergeable, versioned JSON); `enforce` raises one alert for the first
deviation per (workload, item), naming the baseline that was violated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from seawall.detect.engine import Alert
from seawall.errors import InputError
from seawall.inputs import read_limited
from seawall.report.output import to_json, write_output

PROFILE_SCHEMA = "seawall.detect-profile/v1"
KINDS = ("process", "network", "file", "api")
KIND_TITLES = {
    "process": "process executed",
    "network": "network destination",
    "file": "file written",
    "api": "API action",
}
MAX_ITEMS_PER_KIND = 10000
MAX_PROFILE_BYTES = 64 * 1024 * 1024
_POD_HASH = re.compile(r"-[a-z0-9]{8,10}-[a-z0-9]{5}$|-[a-z0-9]{5}$")
_WRITE_FUNCS = ("write", "security_file_permission", "fd_install", "security_file_open")


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_duration(text: str) -> float:
    """'24h', '30m', '60s', '2d', '90' (seconds) -> seconds (ValueError when malformed)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise ValueError(f"invalid duration {text!r} (use e.g. 60s, 30m, 24h, 2d)")
    scale = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return float(match.group(1)) * scale


def _seconds(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _get(ev: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(ev, dict):
            return None
        ev = ev.get(key)
    return ev


def _controller(pod_name: str) -> str:
    return _POD_HASH.sub("", pod_name)


def observe(source: str, event: dict[str, Any]) -> tuple[str, list[tuple[str, str]]] | None:
    """(workload key, [(kind, item)]) an event shows, or None if it shows nothing to learn."""
    if source == "tetragon":
        return _observe_tetragon(event)
    if source == "k8saudit":
        return _observe_k8saudit(event)
    if source in ("falco", "sysdig"):
        return _observe_falco(event)
    return None


def _observe_tetragon(event: dict[str, Any]) -> tuple[str, list[tuple[str, str]]] | None:
    kind = next((k for k in event if isinstance(k, str) and k.startswith("process_")), None)
    if kind is None:
        return None
    body = _obj(event[kind])
    proc = _obj(body.get("process"))
    pod = _obj(proc.get("pod"))
    container = _obj(pod.get("container"))
    if pod:
        controller = pod.get("workload") or _controller(str(pod.get("name", "")))
        key = f"{pod.get('namespace', '')}/{controller}/{container.get('name', '')}"
    else:
        image_id = str(_get(container, "image", "id") or "")
        docker = proc.get("docker")
        if "@" in image_id:
            key = f"image:{image_id.split('@', 1)[1]}"
        elif docker:
            key = f"container:{str(docker)[:12]}"
        else:
            key = f"host:{event.get('node_name', '')}"
    items: list[tuple[str, str]] = []
    binary = proc.get("binary")
    if kind == "process_exec" and binary:
        items.append(("process", str(binary)))
    if kind == "process_connect" and body.get("destination_ip"):
        items.append(("network", f"{body['destination_ip']}:{body.get('destination_port', '')}"))
    if kind == "process_kprobe":
        for arg in body.get("args") or []:
            if not isinstance(arg, dict):
                continue
            sock = arg.get("sock_arg")
            if isinstance(sock, dict) and sock.get("daddr"):
                items.append(("network", f"{sock['daddr']}:{sock.get('dport', '')}"))
            path = _get(arg, "file_arg", "path")
            func = str(body.get("function_name", ""))
            if path and any(w in func for w in _WRITE_FUNCS):
                items.append(("file", str(path)))
    return key, items


def _observe_falco(event: dict[str, Any]) -> tuple[str, list[tuple[str, str]]] | None:
    fields: dict[str, Any] = _obj(event.get("output_fields")) or event
    pod = fields.get("k8s.pod.name")
    if pod:
        key = f"{fields.get('k8s.ns.name', '')}/{_controller(str(pod))}/"
        key += str(fields.get("container.name", ""))
    elif fields.get("container.image.digest"):
        key = f"image:{fields['container.image.digest']}"
    else:
        key = f"container:{fields.get('container.id', 'host')}"
    items: list[tuple[str, str]] = []
    evt_type = fields.get("evt.type")
    if evt_type in ("execve", "execveat") and fields.get("proc.exepath"):
        items.append(("process", str(fields["proc.exepath"])))
    if evt_type == "connect" and fields.get("fd.sip"):
        items.append(("network", f"{fields['fd.sip']}:{fields.get('fd.sport', '')}"))
    if fields.get("evt.is_open_write") in (True, "true") and fields.get("fd.name"):
        items.append(("file", str(fields["fd.name"])))
    return key, items


def _observe_k8saudit(event: dict[str, Any]) -> tuple[str, list[tuple[str, str]]] | None:
    user = str(_get(event, "user", "username") or "")
    if not user:
        return None
    if user.startswith("system:serviceaccount:"):
        parts = user.split(":")
        key = f"{parts[2] if len(parts) > 2 else ''}/serviceaccount/{parts[-1]}"
    else:
        key = f"user/{user}"
    resource = _get(event, "objectRef", "resource") or ""
    sub = _get(event, "objectRef", "subresource")
    action = f"{event.get('verb', '')} {resource}{'/' + sub if sub else ''}"
    return key, [("api", action)]


def _str_set(items: Any) -> set[str]:
    if items is None:
        return set()
    if not isinstance(items, list):
        raise TypeError("not a list")
    return set(map(str, items))


@dataclass
class Profiles:
    """Baselines per workload, as stored in a profile file."""

    workloads: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: int = 0
    learned_from: str | None = None
    learned_to: str | None = None

    @classmethod
    def load(cls, path: Path) -> Profiles:
        if not path.exists():
            return cls()
        try:
            data = read_limited(path, MAX_PROFILE_BYTES)
            if data is None:
                raise InputError(f"{path}: profile larger than {MAX_PROFILE_BYTES} bytes")
            doc = msgspec.json.decode(data)
        except msgspec.DecodeError:
            raise InputError(f"{path}: profile is not JSON") from None
        except RecursionError:
            raise InputError(f"{path}: profile is nested too deeply") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read profile ({exc.strerror})") from None
        if not isinstance(doc, dict) or doc.get("schema") != PROFILE_SCHEMA:
            raise InputError(f"{path}: not a {PROFILE_SCHEMA} profile")
        workloads = doc.get("workloads") or {}
        learn = doc.get("learning") or {}
        if not isinstance(workloads, dict) or not isinstance(learn, dict):
            raise InputError(f"{path}: profile 'workloads' and 'learning' must be objects")
        try:
            profiles = cls(version=int(doc.get("version", 0)))
        except (TypeError, ValueError):
            raise InputError(f"{path}: profile 'version' must be a number") from None
        stamps = (learn.get("from"), learn.get("to"))
        if any(stamp is not None and not isinstance(stamp, str) for stamp in stamps):
            raise InputError(f"{path}: profile 'learning' times must be strings")
        profiles.learned_from, profiles.learned_to = stamps
        for key, body in workloads.items():
            if not isinstance(body, dict):
                raise InputError(f"{path}: workload {key!r} is not an object")
            try:
                profiles.workloads[key] = {k: _str_set(body.get(k)) for k in KINDS}
                profiles.meta[key] = {
                    "events": int(body.get("events", 0)),
                    "stable": bool(body.get("stable", False)),
                    "since_new": int(body.get("since_new", 0)),
                }
            except (TypeError, ValueError):  # was a traceback ('int' has no attribute ...)
                raise InputError(
                    f"{path}: workload {key!r}: item lists must be lists, counts numbers"
                ) from None
        return profiles

    def merge(self, other: Profiles) -> None:
        """Union `other` into this profile (profiles are mergeable across clusters/runs)."""
        for key, kinds in other.workloads.items():
            mine = self.workloads.setdefault(key, {k: set() for k in KINDS})
            for kind, items in kinds.items():
                mine[kind] |= items
            meta = self.meta.setdefault(key, {"events": 0, "stable": False, "since_new": 0})
            meta["events"] += other.meta.get(key, {}).get("events", 0)
        for stamp in (other.learned_from, other.learned_to):
            self._stretch(stamp)

    def _stretch(self, stamp: str | None) -> None:
        if not stamp:
            return
        if self.learned_from is None or stamp < self.learned_from:
            self.learned_from = stamp
        if self.learned_to is None or stamp > self.learned_to:
            self.learned_to = stamp

    def document(self) -> dict[str, Any]:
        return {
            "schema": PROFILE_SCHEMA,
            "version": self.version,
            "learning": {"from": self.learned_from, "to": self.learned_to},
            "workloads": {
                key: {
                    **{kind: sorted(items) for kind, items in kinds.items()},
                    **self.meta.get(key, {}),
                }
                for key, kinds in sorted(self.workloads.items())
            },
        }

    def save(self, path: Path) -> None:
        write_output(to_json(self.document()), path)


class Learner:
    """Records what workloads do, for `--learn-for` seconds of event time or until stable."""

    def __init__(self, source: str, window: float | None, stable_after: int = 1000) -> None:
        self.source = source
        self.window = window
        self.stable_after = stable_after
        self.profiles = Profiles()
        self._start: float | None = None
        self.learned = 0
        self.ignored = 0

    def learn(self, event: dict[str, Any], time: str | None) -> None:
        stamp = _seconds(time)
        if stamp is not None and self.window is not None:
            if self._start is None:
                self._start = stamp
            elif stamp - self._start > self.window:
                self.ignored += 1
                return
        seen = observe(self.source, event)
        if seen is None:
            return
        key, items = seen
        kinds = self.profiles.workloads.setdefault(key, {k: set() for k in KINDS})
        meta = self.profiles.meta.setdefault(key, {"events": 0, "stable": False, "since_new": 0})
        if meta["stable"] and self.window is None:
            return
        meta["events"] += 1
        new = False
        for kind, item in items:
            bucket = kinds[kind]
            if item not in bucket and len(bucket) < MAX_ITEMS_PER_KIND:
                bucket.add(item)
                new = True
        meta["since_new"] = 0 if new else meta["since_new"] + 1
        if meta["since_new"] >= self.stable_after:
            meta["stable"] = True
        self.learned += 1
        if time:
            self.profiles._stretch(time)

    def save(self, path: Path) -> Profiles:
        """Merge what was learned into the profile at `path` (bumping its version)."""
        existing = Profiles.load(path)
        existing.merge(self.profiles)
        for key, meta in self.profiles.meta.items():
            existing.meta[key]["stable"] = meta["stable"]
            existing.meta[key]["since_new"] = meta["since_new"]
        existing.version += 1
        existing.save(path)
        return existing


MAX_SHOWN_ITEMS = 50  # of the violated baseline, in each alert


class Enforcer:
    """Alerts on the first deviation per (workload, item) from a learned profile."""

    def __init__(self, source: str, profiles: Profiles, profile_name: str) -> None:
        self.source = source
        self.profiles = profiles
        self.profile_name = profile_name
        self._alerted: set[tuple[str, str, str]] = set()

    def check(
        self, event: dict[str, Any], time: str | None, asset: str, input: str, line: int
    ) -> list[Alert]:
        seen = observe(self.source, event)
        if seen is None:
            return []
        key, items = seen
        baseline = self.profiles.workloads.get(key)
        alerts = []
        if baseline is None:
            if ("", key, "") not in self._alerted and items:
                self._alerted.add(("", key, ""))
                alerts.append(
                    self._alert(
                        "Anomaly: Workload Without Baseline",
                        f"Workload {key} has no baseline in profile {self.profile_name} "
                        f"(version {self.profiles.version})",
                        "NOTICE",
                        event,
                        time,
                        asset,
                        input,
                        line,
                    )
                )
            return alerts
        for kind, item in items:
            if item in baseline[kind] or (kind, key, item) in self._alerted:
                continue
            self._alerted.add((kind, key, item))
            known = len(baseline[kind])
            alerts.append(
                self._alert(
                    f"Anomaly: New {KIND_TITLES[kind].title()}",
                    f"{KIND_TITLES[kind]} {item} is not in the baseline of workload {key} "
                    f"(profile {self.profile_name} version {self.profiles.version}, "
                    f"learned {self.profiles.learned_from} to {self.profiles.learned_to}, "
                    f"{known} known {kind} items)",
                    "WARNING",
                    event,
                    time,
                    asset,
                    input,
                    line,
                    baseline={
                        "workload": key,
                        "kind": kind,
                        "item": item,
                        "known": known,
                        "known_items": sorted(baseline[kind])[:MAX_SHOWN_ITEMS],
                        "profile": self.profile_name,
                        "version": self.profiles.version,
                        "learned": {
                            "from": self.profiles.learned_from,
                            "to": self.profiles.learned_to,
                        },
                    },
                )
            )
        return alerts

    def _alert(
        self,
        rule: str,
        output: str,
        priority: str,
        event: dict[str, Any],
        time: str | None,
        asset: str,
        input: str,
        line: int,
        baseline: dict[str, Any] | None = None,
    ) -> Alert:
        tags = ("anomaly", "baseline")
        return Alert(
            rule=rule,
            priority=priority,
            output=output,
            time=time,
            source=self.source,
            tags=tags,
            asset=asset,
            input=input,
            line=line,
            event=event if baseline is None else {**event, "_seawall_baseline": baseline},
        )
