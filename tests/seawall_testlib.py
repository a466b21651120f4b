"""Helpers shared by every stage's tests: import as `from seawall_testlib import ...`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
