"""Alerts as seawall findings, and the ways they leave seawall: JSON, table, OCSF, webhook.

OCSF records are Detection Finding (class_uid 2004, category Findings) per OCSF 1.1.0.
"""

from __future__ import annotations

import hashlib
import re
import time as _time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from seawall import __version__
from seawall.detect.engine import Alert
from seawall.errors import InputError
from seawall.model import Finding, Layer, Severity, Task

SCHEMA = "seawall.detect/v1"
OCSF_VERSION = "1.1.0"

PRIORITY_SEVERITY = {
    "EMERGENCY": Severity.CRITICAL,
    "ALERT": Severity.CRITICAL,
    "CRITICAL": Severity.CRITICAL,
    "ERROR": Severity.HIGH,
    "WARNING": Severity.MEDIUM,
    "NOTICE": Severity.LOW,
    "INFORMATIONAL": Severity.INFO,
    "DEBUG": Severity.INFO,
}
# OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal
OCSF_SEVERITY = {
    "EMERGENCY": (6, "Fatal"),
    "ALERT": (5, "Critical"),
    "CRITICAL": (5, "Critical"),
    "ERROR": (4, "High"),
    "WARNING": (3, "Medium"),
    "NOTICE": (2, "Low"),
    "INFORMATIONAL": (1, "Informational"),
    "DEBUG": (1, "Informational"),
}
SOURCE_LAYER = {
    "k8saudit": Layer.PLATFORM,
    "tetragon": Layer.APPLICATION,
    "falco": Layer.APPLICATION,
    "sysdig": Layer.APPLICATION,
    "cloudtrail": Layer.INFRASTRUCTURE,
    "gcpaudit": Layer.INFRASTRUCTURE,
}
_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")
_TACTIC = re.compile(r"^TA\d{4}$")


def mitre_of(tags: Iterable[str]) -> dict[str, list[str]]:
    """MITRE ATT&CK technique ids (T1611, T1059.004) and tactics named in rule tags."""
    techniques, tactics = [], []
    for tag in tags:
        if _TECHNIQUE.match(tag):
            techniques.append(tag)
        elif _TACTIC.match(tag):
            tactics.append(tag)
        elif tag.startswith("mitre_"):
            tactics.append(tag.removeprefix("mitre_"))
    return {"techniques": techniques, "tactics": tactics}


@dataclass
class Deduper:
    """Rate limiting of identical alerts: one per (rule, asset, output) per window seconds."""

    window: float
    last: dict[tuple[str, str, str], float] = field(default_factory=dict)
    total_suppressed: int = 0
    newest: float = float("-inf")
    # `last` is pruned of keys outside the window whenever it doubles past this: `detect
    # serve` runs for weeks and each distinct alert output (attacker-chosen names) added
    # a key for ever
    prune_at: int = 65_536

    def admit(self, alert: Alert, now: float | None = None) -> bool:
        if self.window <= 0:
            return True
        key = (alert.rule, alert.asset, alert.output)
        stamp = _event_seconds(alert.time) if now is None else now
        if stamp is None:
            stamp = _time.monotonic()
        seen = self.last.get(key)
        if seen is not None and 0 <= stamp - seen < self.window:
            self.total_suppressed += 1
            return False
        self.last[key] = stamp
        if stamp > self.newest:
            self.newest = stamp
        if len(self.last) >= self.prune_at:
            self._prune()
        return True

    def _prune(self) -> None:
        """Forget keys admitted longer than a window before the newest alert: they can no
        longer suppress anything at or after it."""
        horizon = self.newest - self.window
        self.last = {k: t for k, t in self.last.items() if t > horizon}
        self.prune_at = max(65_536, 2 * len(self.last))


def _event_seconds(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def to_finding(alert: Alert, extra: dict[str, Any] | None = None) -> Finding:
    """The alert as a seawall Finding of type `threat`."""
    details: dict[str, Any] = {
        "rule": alert.rule,
        "priority": alert.priority,
        "output": alert.output,
        "time": alert.time,
        "source": alert.source,
        "tags": list(alert.tags),
        "mitre": mitre_of(alert.tags),
        "input": alert.input,
        "line": alert.line,
    }
    if extra:
        details.update(extra)
    return Finding(
        type="threat",
        rule=alert.rule,
        title=alert.rule,
        severity=PRIORITY_SEVERITY.get(alert.priority, Severity.UNKNOWN),
        asset=alert.asset,
        layer=SOURCE_LAYER.get(alert.source, Layer.APPLICATION),
        task=Task.THREAT_DETECTION,
        evidence=alert.output,
        details=details,
    )


def _epoch_ms(text: str | None) -> int:
    seconds = _event_seconds(text)
    return int((seconds if seconds is not None else _time.time()) * 1000)


def to_ocsf(finding: Finding) -> dict[str, Any]:
    """One OCSF 1.1.0 Detection Finding (class 2004) record for a threat finding."""
    details = finding.details
    priority = str(details.get("priority", "INFORMATIONAL"))
    severity_id, severity = OCSF_SEVERITY.get(priority, (0, "Unknown"))
    uid = hashlib.sha256(
        f"{finding.rule}|{finding.asset}|{details.get('time')}|{finding.evidence}".encode()
    ).hexdigest()[:32]
    mitre = details.get("mitre") or {"techniques": [], "tactics": []}
    attacks = [{"technique": {"uid": t}, "version": "14"} for t in mitre.get("techniques", [])]
    record: dict[str, Any] = {
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "time": _epoch_ms(details.get("time")),
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 1,
        "status": "New",
        "message": finding.evidence,
        "finding_info": {
            "uid": uid,
            "title": finding.title,
            "types": [str(details.get("source", ""))],
            "analytic": {"name": finding.rule, "type_id": 1, "type": "Rule"},
        },
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "seawall", "vendor_name": "seawall", "version": __version__},
        },
        "resources": [{"uid": finding.asset, "type": finding.layer.value}],
        "unmapped": {
            "priority": priority,
            "tags": details.get("tags", []),
            "source": details.get("source"),
        },
    }
    if attacks:
        record["finding_info"]["attacks"] = attacks
    return record


def webhook_display(url: str) -> str:
    """`url` as seawall prints it: scheme and host only (paths, queries and user info of
    webhook URLs often hold the secret, e.g. Slack's /services/T/B/TOKEN)."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or "?"
    except ValueError:  # "http://[::1": an unclosed IPv6 bracket
        return f"{url.partition(':')[0] or '?'}://?/..."
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme or '?'}://{host}{port}/..."


def check_webhook_url(url: str, what: str) -> None:
    """InputError unless `url` is an http(s) URL with a host (nothing else is ever opened)."""
    try:
        parts = urllib.parse.urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        valid = valid and (parts.port is None or parts.port > 0)  # ValueError past 65535
    except ValueError:  # an unclosed IPv6 bracket, a port that is not a number
        valid = False
    if not valid:
        raise InputError(f"{what}: expected an http(s) URL, not {webhook_display(url)}")


def post_webhook(url: str, body: bytes, *, retries: int = 3, timeout: float = 5.0) -> bool:
    """POST `body` (JSON) to `url`, retrying with backoff on errors and 5xx; True on 2xx."""
    import urllib.error
    import urllib.request  # http.client, ssl, email: only when a webhook is posted

    delay = 0.2
    for attempt in range(retries + 1):
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if 200 <= response.status < 300:
                    return True
        except urllib.error.HTTPError as exc:
            if exc.code < 500 and exc.code != 429:
                return False
        except (urllib.error.URLError, OSError):
            pass
        if attempt < retries:
            _time.sleep(delay)
            delay *= 2
    return False
