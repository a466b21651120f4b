"""Fixtures shared by every stage's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
DATA = TESTS / "data"
# Real third-party data lives beside the repository (../shared/data); tests copy what
# they need into tests/data, benchmarks may read it in place.
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
