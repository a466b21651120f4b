"""Start `seawall detect serve` on a free 127.0.0.1 port for tests and benchmarks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

_LISTEN = re.compile(rb"listening on http://127\.0\.0\.1:(\d+)/k8s-audit")


def start_server(repo: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    """Run the server (port 0: the OS picks) and return it with the port it bound."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(repo / "src") + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "seawall", "detect", "serve", "--listen", "127.0.0.1:0", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        found = _LISTEN.search(line)
        if found:
            return proc, int(found.group(1))
    proc.kill()
    raise RuntimeError("seawall detect serve did not start")
