"""A tiny HTTP server on 127.0.0.1 that replays recorded JSON responses (for Azure/GCP clients)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# (method, path, query string, body) -> (status, JSON body)
Responder = Callable[[str, str, str, bytes], tuple[int, Any]]


@contextmanager
def replay_server(responder: Responder) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve `responder` on a free port; yields (base URL, list of requests seen)."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            seen.append(
                {
                    "method": self.command,
                    "path": path,
                    "query": query,
                    "body": body,
                    "headers": dict(self.headers),
                }
            )
            status, payload = responder(self.command, path, query, body)
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
