"""`seawall detect serve` under load: 5,000 audit events/s from a local generator, no loss.

Starts the real server on 127.0.0.1 (port 0) with all upstream k8s_audit rules and an OCSF
file sink, then POSTs EventList batches (as the API server's batching webhook does) paced
at the target rate for `--seconds`, then unpaced to find the ceiling. No loss means every
request got 200 and the server's own counters say received == evaluated == sent.
Prints one JSON object; ratio = sustained events/s / 5,000 target.
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "detect"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from detect import k8s_lines  # noqa: E402
from detect_serve_helpers import start_server  # noqa: E402

TARGET = 5000
BATCH = 100


def _batches(count: int) -> list[bytes]:
    lines = [line for chunk in k8s_lines(count) for line in chunk]
    out = []
    for i in range(0, len(lines), BATCH):
        items = b",".join(lines[i : i + BATCH])
        out.append(b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[' + items + b"]}")
    return out


def _send(
    port: int, bodies: list[bytes], rate: float | None, results: dict[str, list[float]]
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.perf_counter()
    for i, body in enumerate(bodies):
        if rate:
            due = start + i * BATCH / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        sent = time.perf_counter()
        conn.request("POST", "/k8s-audit", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        results["latency"].append(time.perf_counter() - sent)
        if response.status != 200:
            results["failed"].append(1.0)
    conn.close()


def _stats(port: int) -> dict[str, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/stats")
    doc: dict[str, int] = json.loads(conn.getresponse().read())
    conn.close()
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    work = ROOT / "benchmarks" / ".work"
    work.mkdir(parents=True, exist_ok=True)
    sink = work / "detect_serve.ocsf.jsonl"
    sink.unlink(missing_ok=True)
    paced_events = int(TARGET * args.seconds)
    paced = _batches(paced_events)
    burst = _batches(paced_events)
    rules = ROOT / "tests" / "data" / "detect" / "rules" / "k8s_audit_rules.yaml"
    server, port = start_server(ROOT, "--rules", str(rules), "--sink", f"ocsf:{sink}")
    try:
        results: dict[str, list[float]] = {"latency": [], "failed": []}
        start = time.perf_counter()
        _send(port, paced, TARGET, results)
        paced_elapsed = time.perf_counter() - start
        after_paced = _stats(port)
        burst_results: dict[str, list[float]] = {"latency": [], "failed": []}
        threads = [
            threading.Thread(target=_send, args=(port, burst[i::2], None, burst_results))
            for i in range(2)
        ]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        burst_elapsed = time.perf_counter() - start
        final = _stats(port)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=120)
    sent = paced_events * 2
    sustained = paced_events / paced_elapsed
    latencies = sorted(results["latency"])
    print(
        json.dumps(
            {
                "benchmark": "detect_serve",
                "target_events_per_s": TARGET,
                "paced_events": paced_events,
                "sustained_events_per_s": round(sustained),
                "batch_p50_ms": round(statistics.median(latencies) * 1000, 2),
                "batch_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
                "unpaced_events_per_s": round(paced_events / burst_elapsed),
                "sent": sent,
                "received": final["received"],
                "evaluated": final["evaluated"],
                "failed_requests": len(results["failed"]) + len(burst_results["failed"]),
                "no_loss": final["received"] == final["evaluated"] == sent
                and after_paced["evaluated"] == paced_events
                and not results["failed"]
                and not burst_results["failed"],
                "alerts": final["alerts"],
                "ratio": round(sustained / TARGET, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
