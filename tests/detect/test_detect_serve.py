"""`seawall detect serve`: the audit webhook on a real 127.0.0.1 socket."""

from __future__ import annotations

import http.client
import json
import signal
from pathlib import Path
from typing import Any

import pytest
from detect_serve_helpers import start_server
from seawall_testlib import DATA, REPO

K8S = DATA / "detect" / "events" / "k8s_audit"
RULES = DATA / "detect" / "rules" / "k8s_audit_rules.yaml"


def _post(port: int, body: bytes, path: str = "/k8s-audit") -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    doc = json.loads(response.read())
    conn.close()
    return response.status, doc


def _get(port: int, path: str) -> dict[str, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    doc: dict[str, int] = json.loads(conn.getresponse().read())
    conn.close()
    return doc


def test_webhook_batches_are_evaluated_and_alerts_reach_the_ocsf_sink(tmp_path: Path) -> None:
    sink = tmp_path / "alerts.ocsf.jsonl"
    server, port = start_server(REPO, "--rules", str(RULES), "--sink", f"ocsf:{sink}")
    try:
        events = [
            json.loads(p.read_text().splitlines()[0]) for p in sorted(K8S.glob("create_*.json"))
        ]
        batch = {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": events}
        status, doc = _post(port, json.dumps(batch).encode())
        assert status == 200
        assert doc["received"] == len(events)
        single = (K8S / "attach_pod.json").read_bytes()
        assert _post(port, single)[0] == 200
        # JSON lines of Events (as log shippers send them) are accepted too
        lines = (K8S / "create_configmap_sensitive_values.json").read_bytes()
        status, doc = _post(port, lines)
        assert (status, doc["received"]) == (200, 6)
        # bad requests: 400 and a counter, the server keeps serving
        assert _post(port, b"not json")[0] == 400
        assert _post(port, b'{"kind": 0}')[0] == 400
        assert _post(port, single, path="/elsewhere")[0] == 404
        stats = _get(port, "/stats")
        assert stats["received"] == stats["evaluated"] == len(events) + 7
        assert stats["bad_requests"] == 3
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0
    summary = err.decode().strip().splitlines()[-1]
    assert f"received {len(events) + 7} events, evaluated {len(events) + 7}" in summary
    records = [json.loads(line) for line in sink.read_text().splitlines()]
    assert records, "alerts were written"
    assert all(r["class_uid"] == 2004 for r in records)
    titles = {r["finding_info"]["title"] for r in records}
    assert {"Create Privileged Pod", "Attach/Exec Pod"} <= titles
    assert len(records) == stats["alerts"]


def test_a_dead_webhook_sink_is_counted_not_fatal_and_cluster_names_assets(
    tmp_path: Path,
) -> None:
    import socket
    import time

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    sink = tmp_path / "alerts.jsonl"
    server, port = start_server(
        REPO, "--rules", str(RULES), "--cluster", "prod-eu",
        "--sink", f"webhook:http://127.0.0.1:{dead}/services/T/B/S3CRET", "--sink", f"jsonl:{sink}",
    )  # fmt: skip
    try:
        assert _post(port, (K8S / "create_nginx_pod_privileged.json").read_bytes())[0] == 200
        deadline = time.monotonic() + 30
        while _get(port, "/stats")["undelivered"] < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        stats = _get(port, "/stats")
        assert (stats["alerts"], stats["undelivered"]) == (1, 1)
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0
    assert err.decode().strip().endswith("1 alerts undelivered")
    assert b"S3CRET" not in err
    [finding] = [json.loads(line) for line in sink.read_text().splitlines()]
    assert finding["asset"] == "k8s:prod-eu/default/pods/nginx-deployment-5cdcc99dbf-rgw6z"


def _read_response(client: Any) -> bytes:
    """One whole HTTP response (headers and Content-Length body), however TCP splits it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = client.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_connections_beyond_the_limit_wait_and_none_is_lost() -> None:
    import socket
    import time

    single = (K8S / "attach_pod.json").read_bytes().splitlines()[0]
    request = (
        b"POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(single)).encode() + b"\r\n\r\n" + single
    )
    server, port = start_server(
        REPO, "--rules", str(RULES), "--max-connections", "2", "--read-timeout", "3"
    )
    clients = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(2)]
    try:
        for client in clients:  # two keep-alive connections hold both slots
            client.sendall(request)
            assert _read_response(client).startswith(b"HTTP/1.1 200")
        # more clients than the limit: they connect, but wait unanswered for a free slot
        waiting = [socket.create_connection(("127.0.0.1", port), timeout=1) for _ in range(3)]
        for client in waiting:
            client.sendall(request)
        with pytest.raises(TimeoutError):
            waiting[0].recv(65536)
        clients[0].close()  # a slot frees: the waiting clients are served, one after another
        for client in waiting:
            client.settimeout(30)
            assert _read_response(client).startswith(b"HTTP/1.1 200")
            client.close()
        # an idle keep-alive connection is dropped after --read-timeout, freeing its slot
        started = time.monotonic()
        clients[1].settimeout(30)
        assert clients[1].recv(65536) == b""
        assert time.monotonic() - started < 10
        stats = _get(port, "/stats")
        assert stats["received"] == stats["evaluated"] == 5
        assert stats["bad_requests"] == 0
    finally:
        for client in clients:
            client.close()
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0
    assert "received 5 events, evaluated 5" in err.decode()
