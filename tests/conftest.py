"""Fixtures shared by every stage's tests.

Never `from conftest import ...` in a test: with one conftest per stage directory the name
is ambiguous. Import shared helpers from `seawall_testlib` (tests/seawall_testlib.py); a
stage's own helper module gets a stage-prefixed, unique file name (tests/images/images_build.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from seawall_testlib import DATA


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
