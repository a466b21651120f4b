"""Peer comparison: whatever Checkov 3.x fails, for a check a seawall rule maps to,
seawall reports as well (on the terragoat, microservices-demo and kube-score corpora)."""

from __future__ import annotations

import pytest
from hardening_checkov import CORPORA, CORPUS_NAMES, KNOWN_DIFFERENCES, compare


@pytest.mark.parametrize("corpus", CORPUS_NAMES)
def test_seawall_reports_everything_checkov_fails_for_mapped_checks(corpus: str) -> None:
    result = compare(CORPORA / corpus)
    assert result["matched"], "the corpus exercises mapped checks"
    unexplained = [k for k in result["missing"] if k not in KNOWN_DIFFERENCES]
    assert unexplained == []
