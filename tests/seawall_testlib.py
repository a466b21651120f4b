"""Helpers shared by every stage's tests: import as `from seawall_testlib import ...`."""

from __future__ import annotations

import contextlib
import os
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
DATA = TESTS / "data"
# Real third-party data lives beside the repository (../shared/data); tests copy what
# they need into tests/data, benchmarks may read it in place.
SHARED_DATA = REPO.parent / "shared" / "data"


def run_seawall(
    *args: str, input: bytes | None = None, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[bytes]:
    """Run the real `seawall` CLI of this checkout in a subprocess (stdout/stderr captured)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("COLUMNS", "200")
    return subprocess.run(
        [sys.executable, "-m", "seawall", *args],
        input=input,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )


_Server = TypeVar("_Server", bound=socketserver.BaseServer)


@contextlib.contextmanager
def serving(server: _Server) -> Iterator[_Server]:
    """Run `server` (bound to 127.0.0.1) in a daemon thread; shut it down after the block."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
