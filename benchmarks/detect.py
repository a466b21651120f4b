"""Detection throughput: generated events through all upstream rules vs the JSON-decode floor.

1,000,000 realistic k8saudit events (generated from the real upstream samples with varied
users, namespaces, resources and verbs) through every rule of k8s_audit_rules.yaml, and
1,000,000 tetragon process_exec events (from the real samples, varied binaries, pods and
images) through falco_rules.yaml. The floor is decoding the same bytes with the same JSON
decoder and nothing else, measured in the same run, chunk by chunk (5,000 events each, floor
then seawall, back to back); ratio_to_floor is the median of the per-chunk ratios (robust
to other processes on a shared machine), ratio_total the ratio of the summed times.
Prints one JSON object. `--events N` for a quicker run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from seawall.detect.engine import Engine  # noqa: E402
from seawall.detect.falco.rules import load_rules_files  # noqa: E402
from seawall.detect.sources import get_source  # noqa: E402

DATA = ROOT / "tests" / "data" / "detect"
CHUNK = 5000

# Real audit logs are dominated by control-plane components and service accounts;
# people (and the anonymous user) are a few percent of requests.
USERS = [
    ("system:serviceaccount:kube-system:replicaset-controller", 20),
    ("system:serviceaccount:kube-system:deployment-controller", 10),
    ("system:kube-scheduler", 15),
    ("system:kube-controller-manager", 20),
    ("system:node:worker-1", 15),
    ("system:serviceaccount:ci:deployer", 8),
    ("minikube-user", 4),
    ("kubelet", 4),
    ("alice@example.com", 2),
    ("bob@example.com", 1),
    ("system:anonymous", 1),
]
NAMESPACES = ["default", "kube-system", "kube-public", "prod", "staging", "ci", "monitoring"]
BENIGN_WRITES = [
    ("leases", "update", None),
    ("events", "create", None),
    ("pods", "patch", "status"),
    ("endpoints", "update", None),
    ("nodes", "patch", "status"),
]
READ_RESOURCES = ["pods", "configmaps", "secrets", "services", "endpoints", "nodes", "leases"]


def _k8s_templates() -> list[dict[str, object]]:
    out = []
    for path in sorted((DATA / "events" / "k8s_audit").glob("*.json")):
        for line in path.read_text().splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("kind") == "Event":
                out.append(event)
    return out


def k8s_lines(count: int, seed: int = 7) -> Iterator[list[bytes]]:
    rng = random.Random(seed)
    templates = _k8s_templates()
    names = [u for u, _ in USERS]
    weights = [w for _, w in USERS]
    encode = msgspec.json.encode
    made = 0
    while made < count:
        chunk = []
        for _ in range(min(CHUNK, count - made)):
            base = rng.choice(templates)
            event = dict(base)
            ref = dict(event.get("objectRef") or {})  # type: ignore[call-overload]
            user = dict(event.get("user") or {})  # type: ignore[call-overload]
            user["username"] = rng.choices(names, weights)[0]
            ns = rng.choice(NAMESPACES)
            ref["namespace"] = ns
            roll = rng.random()
            if roll < 0.25:  # benign control-plane writes: leases, events, status
                resource, verb, sub = rng.choice(BENIGN_WRITES)
                event = {
                    "kind": "Event",
                    "apiVersion": "audit.k8s.io/v1",
                    "level": "Metadata",
                    "stage": "ResponseComplete",
                    "verb": verb,
                    "requestURI": f"/api/v1/namespaces/{ns}/{resource}",
                    "sourceIPs": ["10.0.0.12"],
                    "userAgent": "kube-controller-manager/v1.29.2",
                    "responseStatus": {"code": 200, "metadata": {}},
                    "requestReceivedTimestamp": "2024-03-01T10:00:00.000000Z",
                    "stageTimestamp": "2024-03-01T10:00:00.004000Z",
                    "annotations": {"authorization.k8s.io/decision": "allow"},
                }
                ref = {"resource": resource, "namespace": ns, "name": f"obj-{rng.randrange(500)}"}
                if sub:
                    ref["subresource"] = sub
            elif roll < 0.9:  # most real audit traffic is reads
                resource = rng.choice(READ_RESOURCES)
                event["verb"] = rng.choice(["get", "list", "watch"])
                ref = {"resource": resource, "namespace": ns, "apiVersion": "v1"}
                if event["verb"] == "get":
                    ref["name"] = f"{resource[:-1]}-{rng.randrange(1000)}"
                event.pop("requestObject", None)
                event.pop("responseObject", None)
                event["requestURI"] = f"/api/v1/namespaces/{ns}/{resource}"
                event["stage"] = "ResponseComplete"
                event["responseStatus"] = {"code": 200, "metadata": {}}
            else:
                ref["name"] = f"{ref.get('name', 'obj')}-{rng.randrange(1000)}"
            event["objectRef"] = ref
            event["user"] = user
            event["auditID"] = f"{rng.getrandbits(64):016x}"
            chunk.append(encode(event))
        made += len(chunk)
        yield chunk


def tetragon_lines(count: int, seed: int = 11) -> Iterator[list[bytes]]:
    rng = random.Random(seed)
    templates = []
    reader = get_source("tetragon").read
    for path in sorted((DATA / "events" / "tetragon").rglob("*.json*")):
        with path.open("rb") as stream:
            for item in reader(stream, str(path)):
                if isinstance(item, tuple) and "process_exec" in item[1]:
                    templates.append(item[1])
    binaries = [
        "/usr/bin/bash",
        "/bin/sh",
        "/usr/sbin/nginx",
        "/usr/bin/curl",
        "/usr/bin/python3",
        "/usr/bin/cat",
        "/usr/bin/ls",
        "/usr/local/bin/app",
        "/usr/bin/scp",
        "/usr/bin/ssh",
        "/usr/bin/nc",
        "/usr/bin/apt-get",
        "/usr/bin/sudo",
        "/usr/bin/nsenter",
    ]
    encode = msgspec.json.encode
    made = 0
    while made < count:
        chunk = []
        for _ in range(min(CHUNK, count - made)):
            template = {k: v for k, v in rng.choice(templates).items() if isinstance(k, str)}
            event = msgspec.json.decode(msgspec.json.encode(template))
            proc = event["process_exec"]["process"]
            proc["binary"] = rng.choice(binaries)
            proc["arguments"] = rng.choice(["", "-c id", "-la /", "--version", "-v host:22"])
            proc["pid"] = rng.randrange(1, 1 << 22)
            pod = proc.get("pod")
            if isinstance(pod, dict):
                pod["namespace"] = rng.choice(NAMESPACES)
                pod["name"] = f"app-{rng.randrange(200)}"
            chunk.append(encode(event))
        made += len(chunk)
        yield chunk


def measure(source_name: str, rules: list[str], chunks: Iterator[list[bytes]]) -> dict[str, object]:
    ruleset = load_rules_files([DATA / "rules" / r for r in rules])
    engine = Engine(ruleset, get_source(source_name), rule_matching="first", strict=True)
    decode = msgspec.json.decode
    evaluate = engine.evaluate
    floor = ours = 0.0
    events = alerts = size = 0
    pairs = []  # (floor, ours) per chunk, measured back to back: robust to a busy machine
    for lines in chunks:
        events += len(lines)
        size += sum(map(len, lines))
        start = time.perf_counter()
        for line in lines:
            decode(line)
        chunk_floor = time.perf_counter() - start
        start = time.perf_counter()
        for line in lines:
            alerts += len(evaluate(decode(line)))
        chunk_ours = time.perf_counter() - start
        floor += chunk_floor
        ours += chunk_ours
        pairs.append(chunk_floor / chunk_ours)
    return {
        "events": events,
        "rules": engine.rule_count,
        "alerts": alerts,
        "mean_event_bytes": round(size / max(events, 1)),
        "events_per_s": round(events / ours),
        "floor_events_per_s": round(events / floor),
        "ratio_total": round(floor / ours, 3),
        "ratio_to_floor": round(statistics.median(pairs), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    k8s = measure("k8saudit", ["k8s_audit_rules.yaml"], k8s_lines(args.events))
    tet = measure("tetragon", ["falco_rules.yaml"], tetragon_lines(args.events))
    print(
        json.dumps(
            {
                "benchmark": "detect",
                "floor": "msgspec.json.decode of the same bytes, same run, one core",
                "target_ratio": 0.35,
                "k8saudit": k8s,
                "tetragon": tet,
                "ratio_to_floor": min(k8s["ratio_to_floor"], tet["ratio_to_floor"]),  # type: ignore[type-var]
            }
        )
    )


if __name__ == "__main__":
    main()
