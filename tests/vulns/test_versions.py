"""Version ordering: every row of the shared version vectors, through the public entry point."""

from __future__ import annotations

import csv

import pytest
from seawall_testlib import DATA

from seawall.vulns.versions import comparator, scheme_for, sort_key

VECTORS = DATA / "vulns" / "version_vectors.tsv"


def _rows() -> list[dict[str, str]]:
    with VECTORS.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


ROWS = _rows()


def test_vectors_cover_every_scheme() -> None:
    counts: dict[str, int] = {}
    for row in ROWS:
        counts[row["ecosystem"]] = counts.get(row["ecosystem"], 0) + 1
    assert counts == {"deb": 134, "rpm": 91, "apk": 738, "maven": 614, "pypi": 201, "semver": 40}


@pytest.mark.parametrize("scheme", ["deb", "rpm", "apk", "maven", "pypi", "semver"])
def test_every_vector_row_passes(scheme: str) -> None:
    compare = comparator(scheme)
    key = sort_key(scheme)
    failures = []
    for row in ROWS:
        if row["ecosystem"] != scheme:
            continue
        a, b, expected = row["a"], row["b"], int(row["expected"])
        ka, kb = key(a), key(b)
        by_key = (ka > kb) - (ka < kb)  # type: ignore[operator]
        if compare(a, b) != expected or by_key != expected:
            failures.append((a, b, expected, compare(a, b), by_key))
    assert failures == []


def test_maven_dot_qualifier_ordering() -> None:
    compare = comparator("Maven")
    assert compare("2-1", "2.0.a") == -1
    assert compare("2-1", "2.0.0.a") == -1
    assert compare("2.0.a", "2.0.0.a") == -1
    assert compare("1.0-alpha-1", "1.0") == -1
    assert compare("2.17.0", "2.15.0") == 1


@pytest.mark.parametrize(
    ("ecosystem", "scheme"),
    [
        ("Debian:12", "deb"),
        ("Ubuntu:22.04:LTS", "deb"),
        ("Alpine:v3.19", "apk"),
        ("Red Hat:rhel_aus:8.4::appstream", "rpm"),
        ("Rocky Linux:9", "rpm"),
        ("AlmaLinux:9", "rpm"),
        ("PyPI", "pypi"),
        ("npm", "semver"),
        ("crates.io", "semver"),
        ("Go", "go"),
        ("Maven", "maven"),
        ("RubyGems", "gem"),
        ("NuGet", "nuget"),
    ],
)
def test_osv_ecosystems_pick_their_scheme(ecosystem: str, scheme: str) -> None:
    assert scheme_for(ecosystem) == scheme


def test_distro_versions_from_real_advisories() -> None:
    deb = comparator("Debian:12")
    assert deb("1.22.1-9", "1.22.1-9+deb12u1") == -1  # a security update is newer
    assert deb("2:1.0-1", "1:9.9-1") == 1  # epoch wins
    assert deb("1.0~rc1-1", "1.0-1") == -1
    rpm = comparator("Red Hat")
    assert rpm("1:3.0.7-16.el9", "1:3.0.7-18.el9_2") == -1
    assert rpm("0:2.9-1", "2.9-1") == 0
    apk = comparator("Alpine:v3.19")
    assert apk("3.1.4-r5", "3.1.4-r6") == -1
    assert apk("1.36.1-r15", "1.36.1-r2") == 1


def test_go_semver_and_pseudo_versions() -> None:
    go = comparator("Go")
    assert go("v1.2.3", "1.2.3") == 0
    assert go("v0.0.0-20210101000000-abcdef123456", "v0.0.1") == -1
    assert go("v2.0.0+incompatible", "v1.9.9") == 1


def test_pypi_legacy_versions_sort_before_valid_ones() -> None:
    pypi = comparator("PyPI")
    assert pypi("2004d", "0.1") == -1
    assert pypi("1.0.post1", "1.0") == 1


def test_rubygems_and_nuget() -> None:
    gem = comparator("RubyGems")
    assert gem("1.0.a", "1.0") == -1
    assert gem("1.0.0", "1") == 0
    assert gem("5.2.4.3", "5.2.4.10") == -1
    nuget = comparator("NuGet")
    assert nuget("1.0.0-Beta", "1.0.0-beta") == 0
    assert nuget("4.7.2.1", "4.7.2") == 1
