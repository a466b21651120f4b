"""`seawall detect serve`: the Kubernetes audit webhook, evaluated live.

The API server POSTs audit.k8s.io EventList batches (or single Events) to /k8s-audit.
Every event received is evaluated (count in == count evaluated, checked on shutdown);
a bad request gets 400 and a counter, never a crash. SIGTERM/SIGINT shut down
gracefully: in-flight requests finish, sinks are flushed, the counts are printed.
"""

from __future__ import annotations

import io
import json
import queue
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import msgspec

from seawall.detect.alerts import (
    Deduper,
    check_webhook_url,
    post_webhook,
    to_finding,
    to_ocsf,
)
from seawall.detect.anomaly import parse_duration
from seawall.detect.engine import Alert, Engine
from seawall.detect.runner import build_engine
from seawall.detect.sources.k8saudit import audit_events
from seawall.errors import InputError
from seawall.report.output import to_json

WEBHOOK_QUEUE = 10_000  # alerts waiting for a webhook sink; more are dropped and counted
MAX_CONNECTIONS = 64  # connections served at once; more wait in the listen backlog
READ_TIMEOUT = 30.0  # seconds a client may stall mid-request or idle before it is dropped
MAX_BODY = 12 * 1024 * 1024  # the k8saudit plugin's webhookMaxBatchSize default
PATH = "/k8s-audit"


@dataclass
class Counters:
    received: int = 0
    evaluated: int = 0
    alerts: int = 0
    suppressed: int = 0
    bad_requests: int = 0
    requests: int = 0

    def document(self) -> dict[str, int]:
        return dict(self.__dict__)


class Sink:
    """Where alerts go: a JSON-lines file (findings or OCSF), stdout, or a webhook."""

    def __init__(self, spec: str) -> None:
        kind, _, target = spec.partition(":")
        self.kind = kind
        self._stream: IO[bytes] | None = None
        self._queue: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None
        self.failed = 0
        if kind in ("ocsf", "jsonl"):
            if not target:
                raise InputError(f"--sink {spec}: needs a file ({kind}:FILE)")
            path = Path(target)
            if not path.parent.is_dir():
                raise InputError(f"--sink {spec}: directory {path.parent} does not exist")
            self._stream = path.open("ab")
        elif kind == "stdout":
            self._stream = sys.stdout.buffer
        elif kind == "webhook":
            check_webhook_url(target, "--sink webhook:URL")
            self._url = target
            self._queue = queue.Queue(maxsize=WEBHOOK_QUEUE)
            self._thread = threading.Thread(target=self._deliver, daemon=True)
            self._thread.start()
        else:
            raise InputError(
                f"--sink {kind}:...: expected ocsf:FILE, jsonl:FILE, stdout or webhook:URL"
            )

    def _deliver(self) -> None:
        assert self._queue is not None
        while True:
            body = self._queue.get()
            if body is None:
                return
            if not post_webhook(self._url, body):
                self.failed += 1

    def emit(self, alerts: list[Alert]) -> None:
        findings = [to_finding(a) for a in alerts]
        if self.kind == "ocsf":
            data = b"".join(to_json(to_ocsf(f), indent=0) for f in findings)
        else:
            data = b"".join(to_json(f, indent=0) for f in findings)
        if self._queue is not None:
            for finding in findings:
                try:
                    self._queue.put_nowait(msgspec.json.encode(finding))
                except queue.Full:  # the receiver is down or slow: drop, count, keep serving
                    self.failed += 1
        elif self._stream is not None:
            self._stream.write(data)
            self._stream.flush()

    def close(self) -> None:
        if self._queue is not None and self._thread is not None:
            try:
                self._queue.put(None, timeout=30)
                self._thread.join(timeout=30)
            except queue.Full:
                pass  # a dead receiver: the rest stays undelivered (counted)
        if self._stream is not None and self.kind != "stdout":
            self._stream.close()


@dataclass
class Detector:
    """The engine, sinks and counters one server shares between request threads."""

    engine: Engine
    sinks: list[Sink]
    deduper: Deduper
    counters: Counters = field(default_factory=Counters)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            events = audit_events(msgspec.json.decode(body))
        except msgspec.DecodeError as exc:
            events = _json_lines(body)  # log shippers POST JSON lines of Events
            if events is None:
                return 400, {"error": f"body is not JSON ({exc})"}
        except RecursionError:
            return 400, {"error": "body is JSON nested too deeply"}
        if events is None:
            return 400, {"error": "body is not an audit.k8s.io Event or EventList"}
        with self.lock:
            self.counters.received += len(events)
            alerts: list[Alert] = []
            for event in events:
                found = self.engine.evaluate(event, input="webhook")
                self.counters.evaluated += 1
                for alert in found:
                    if self.deduper.admit(alert):
                        alerts.append(alert)
                    else:
                        self.counters.suppressed += 1
            self.counters.alerts += len(alerts)
            if alerts:
                for sink in self.sinks:
                    sink.emit(alerts)
        return 200, {"received": len(events), "alerts": len(alerts)}


def _json_lines(body: bytes) -> list[dict[str, Any]] | None:
    """Events from a body of JSON lines (Events or EventLists), or None if any line is bad."""
    events: list[dict[str, Any]] = []
    lines = [line for line in body.splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    for line in lines:
        try:
            found = audit_events(msgspec.json.decode(line))
        except (msgspec.DecodeError, RecursionError):
            return None
        if found is None:
            return None
        events.extend(found)
    return events


class _DeadlineReader(io.RawIOBase):
    """A connection's bytes, read before a deadline for the whole request.

    A socket timeout alone bounds each recv, so a client sending a byte every few seconds
    kept its slot for ever: with --max-connections such clients the webhook stopped
    serving the API server."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.deadline = 0.0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("request not read within the read timeout")
        self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer)


class BoundedServer(ThreadingHTTPServer):
    """A threading HTTP server that serves at most `max_connections` connections at once.

    When all slots are busy the accept loop waits for one to free, so further clients wait
    in the kernel's listen backlog (not in threads of ours); every accepted connection is
    served to the end, none is dropped for lack of a slot.
    """

    daemon_threads = False
    block_on_close = True
    request_queue_size = 128  # the listen backlog: where clients wait for a free slot

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        super().__init__(address, handler)
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        self.stopping = threading.Event()

    def process_request(self, request: Any, client_address: Any) -> None:
        while not self._slots.acquire(timeout=0.2):
            if self.stopping.is_set():  # shutting down: don't start new work
                self.shutdown_request(request)
                return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def _handler(
    detector: Detector, read_timeout: float = READ_TIMEOUT
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "seawall-detect"
        protocol_version = "HTTP/1.1"
        timeout = read_timeout  # a client stalling mid-request or idling is dropped

        def log_message(self, format: str, *args: Any) -> None:  # quiet: no request logs
            return

        def setup(self) -> None:
            super().setup()
            # headers and body go out in separate writes: without this, Nagle + delayed
            # ACK add ~40 ms to every keep-alive request
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._reader = _DeadlineReader(self.connection)
            self.rfile.close()  # socket.makefile's reader, replaced
            self.rfile = io.BufferedReader(self._reader)

        def handle_one_request(self) -> None:
            # waiting for, and reading, one whole request: at most read_timeout seconds
            self._reader.deadline = time.monotonic() + read_timeout
            super().handle_one_request()

        def _reply(self, status: int, document: dict[str, Any]) -> None:
            self.connection.settimeout(read_timeout)  # the reader shortened it
            body = json.dumps(document).encode() + b"\n"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _bad(self, status: int, message: str) -> None:
            with detector.lock:
                detector.counters.bad_requests += 1
            self._reply(status, {"error": message})

        def do_GET(self) -> None:
            if self.path in ("/healthz", "/stats"):
                with detector.lock:
                    doc = detector.counters.document()
                doc["undelivered"] = sum(sink.failed for sink in detector.sinks)
                self._reply(200, doc)
            else:
                self._reply(404, {"error": "not found"})

        def do_POST(self) -> None:
            with detector.lock:
                detector.counters.requests += 1
            if self.path.split("?", 1)[0] != PATH:
                self._bad(404, f"POST audit events to {PATH}")
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._bad(411, "Content-Length required")
                self.close_connection = True
                return
            if length < 0 or length > MAX_BODY:
                self._bad(413, f"body larger than {MAX_BODY} bytes")
                self.close_connection = True
                return
            body = self.rfile.read(length)
            try:
                status, doc = detector.handle(body)
            except Exception as exc:  # a live server never dies on one request
                status, doc = 500, {"error": f"internal error: {type(exc).__name__}"}
            if status >= 400:
                with detector.lock:
                    detector.counters.bad_requests += 1
            self._reply(status, doc)

    return Handler


def _parse_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not host or int(port) > 65535:
        raise InputError(f"--listen {listen!r}: expected HOST:PORT (e.g. 127.0.0.1:9765)")
    return host.strip("[]"), int(port)


def serve(
    *,
    listen: str,
    rules: list[Path],
    sinks: list[str],
    rule_matching: str = "first",
    strict: bool = False,
    dedupe: str | None = None,
    cluster: str | None = None,
    max_connections: int = MAX_CONNECTIONS,
    read_timeout: float = READ_TIMEOUT,
) -> Counters:
    """Run the webhook until SIGTERM/SIGINT; returns the final counters."""
    host, port = _parse_listen(listen)
    if max_connections < 1:
        raise InputError(f"--max-connections {max_connections}: must be at least 1")
    if not 0 < read_timeout < 10**6:  # nan and inf too (a socket timeout must be finite)
        raise InputError(
            f"--read-timeout {read_timeout}: must be more than 0 and less than 1000000 seconds"
        )
    engine, _ = build_engine("k8saudit", rules, rule_matching, strict, cluster, serve=True)
    try:
        window = parse_duration(dedupe) if dedupe else 0.0
    except ValueError as exc:
        raise InputError(str(exc)) from None
    opened = [Sink(spec) for spec in sinks]
    detector = Detector(engine=engine, sinks=opened, deduper=Deduper(window))
    try:
        server = BoundedServer((host, port), _handler(detector, read_timeout), max_connections)
    except OSError as exc:
        for sink in opened:
            sink.close()
        raise InputError(f"--listen {listen}: cannot listen ({exc.strerror})") from None
    bound_host, bound_port = server.server_address[:2]

    def stop(signum: int, frame: Any) -> None:
        server.stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    print(
        f"seawall detect: listening on http://{bound_host!s}:{bound_port}{PATH} "
        f"({engine.rule_count} rules, at most {max_connections} connections)",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        for sink in opened:
            sink.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    c = detector.counters
    print(
        f"seawall detect: stopped; received {c.received} events, evaluated {c.evaluated}, "
        f"{c.alerts} alerts ({c.suppressed} suppressed), {c.bad_requests} bad requests, "
        f"{sum(sink.failed for sink in opened)} alerts undelivered",
        file=sys.stderr,
        flush=True,
    )
    return c
