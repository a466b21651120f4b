"""Byte keys: memcmp order of the keys is exactly the ecosystem comparator's order."""

from __future__ import annotations

import csv
import itertools
import random
from collections.abc import Callable
from functools import cmp_to_key

import pytest
from real_versions import load
from seawall_testlib import DATA

from seawall.vulns.versions import (
    KEY_FORMAT,
    MAX_KEY,
    byte_key_func,
    comparator,
    scheme_for,
)
from seawall.vulns.versions.bytekey import (
    _pypi,
    _pypi_parsed,
    _semver,
    _semver_parsed,
    byte_key_schemes,
)

VECTORS = DATA / "vulns" / "version_vectors.tsv"
SEED = 20261130
REAL = load()


def _vector_rows() -> list[dict[str, str]]:
    with VECTORS.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _sign(a: bytes, b: bytes) -> int:
    return (a > b) - (a < b)


def _disagreements(
    versions: list[str], compare: Callable[[str, str], int], key: Callable[[str], bytes | None]
) -> list[tuple[str, str, int, int]]:
    """Pairs whose key order differs from the comparator: adjacent pairs of the sorted
    list (with transitivity this covers every pair) plus a random sample of pairs."""
    keyed = [v for v in versions if key(v) is not None]
    ordered = sorted(keyed, key=cmp_to_key(compare))
    rng = random.Random(SEED)
    pairs = list(itertools.pairwise(ordered))
    pairs += [(rng.choice(keyed), rng.choice(keyed)) for _ in range(min(20_000, len(keyed) * 4))]
    bad = []
    for a, b in pairs:
        ka, kb = key(a), key(b)
        assert ka is not None and kb is not None
        if _sign(ka, kb) != compare(a, b):
            bad.append((a, b, compare(a, b), _sign(ka, kb)))
    return bad


def test_key_format_and_bounds_are_published() -> None:
    assert isinstance(KEY_FORMAT, int) and KEY_FORMAT >= 1
    assert MAX_KEY == b"\xff"
    assert byte_key_func("RubyGems") is None or "gem" in byte_key_schemes()
    assert byte_key_func("PyPI") is byte_key_func("pypi")


@pytest.mark.parametrize(
    "ecosystem", ["PyPI", "Go", "npm", "crates.io", "NuGet", "Debian:12", "Ubuntu:22.04"]
)
def test_key_functions_exist(ecosystem: str) -> None:
    key = byte_key_func(ecosystem)
    assert key is not None
    assert key("1.0") is not None


VECTOR_SCHEMES = sorted(byte_key_schemes() & {"pypi", "semver", "deb", "rpm", "apk", "maven"})


def _with_release(version: str) -> str:
    """rpm's vectors are rpmvercmp cases (no release): give both sides the same one."""
    return version + "-1"


@pytest.mark.parametrize("scheme", VECTOR_SCHEMES)
def test_every_vector_row_orders_by_key(scheme: str) -> None:
    key = byte_key_func(scheme)
    assert key is not None
    checked, failures = 0, []
    for row in _vector_rows():
        if row["ecosystem"] != scheme:
            continue
        a, b = row["a"], row["b"]
        if scheme == "rpm":
            a, b = _with_release(a), _with_release(b)
            assert comparator(scheme)(a, b) == int(row["expected"])
        ka, kb = key(a), key(b)
        if ka is None or kb is None:
            continue
        checked += 1
        if _sign(ka, kb) != int(row["expected"]):
            failures.append((a, b, row["expected"], _sign(ka, kb)))
    assert failures == []
    assert checked >= 35
    print(f"{scheme}: {checked} vector rows with both keys")


def _real(scheme: str) -> list[str]:
    versions: set[str] = set()
    for ecosystem, found in REAL.items():
        if scheme_for(ecosystem) == scheme:
            versions |= found
    for row in _vector_rows():
        if row["ecosystem"] == scheme:
            versions.update((row["a"], row["b"]))
            if scheme == "rpm":
                versions.update((_with_release(row["a"]), _with_release(row["b"])))
    return sorted(versions)


# minimum sample sizes and the largest None rate allowed, per scheme
REAL_SAMPLES = {
    "pypi": (13_000, 0.0),
    "go": (2_400, 0.0),
    "semver": (110, 0.0),
    "deb": (20_000, 0.0),
    "gem": (100, 0.0),
    "nuget": (60, 0.0),
    "apk": (300, 0.0),
    # rpm's real versions here are few; a version without a release has no key (see
    # test_rpm_versions_without_release_have_no_key)
    "rpm": (100, 0.5),
    # Maven's ComparableVersion is not transitive: versions outside the part where it is
    # (zeros before a pre-release or release qualifier, "5.4.0.Final") get no key
    "maven": (3_500, 0.1),
}


@pytest.mark.parametrize("scheme", sorted(REAL_SAMPLES))
def test_real_versions_order_by_key(scheme: str) -> None:
    versions = _real(scheme)
    minimum, max_none_rate = REAL_SAMPLES[scheme]
    key = byte_key_func(scheme)
    assert key is not None
    assert len(versions) >= minimum
    none_rate = sum(key(v) is None for v in versions) / len(versions)
    print(f"{scheme}: {len(versions)} real versions, None rate {none_rate:.4f}")
    assert none_rate <= max_none_rate
    assert _disagreements(versions, comparator(scheme), key) == []


def test_nuget_labels_fold_case() -> None:
    key = byte_key_func("NuGet")
    assert key is not None
    assert key("1.0.0-RC1") == key("1.0.0-rc1") is not None
    assert key("1.0.0.0") == key("1.0.0") is not None
    assert key("1.0.0.1") > key("1.0.0")  # type: ignore[operator]


def test_rpm_versions_without_release_have_no_key() -> None:
    key = byte_key_func("Red Hat:9")
    assert key is not None
    compare = comparator("Red Hat:9")
    # "1.0" equals every release of 1.0 for rpm, but those differ: no key can say that
    assert compare("1.0", "1.0-1") == compare("1.0", "1.0-2") == 0
    assert compare("1.0-1", "1.0-2") == -1
    assert key("1.0") is None
    assert key("1.0-1") < key("1.0-2")  # type: ignore[operator]


# --- randomised fuzz against the comparator (fixed seed) ---------------------------------


def _pypi_version(rng: random.Random) -> str:
    parts = []
    if rng.random() < 0.1:
        parts.append(f"{rng.randint(0, 2)}!")
    parts.append(".".join(str(rng.choice([0, 0, 1, 2, 10])) for _ in range(rng.randint(1, 4))))
    if rng.random() < 0.4:
        parts.append(rng.choice(["a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "RC"]))
        parts.append(rng.choice(["", "0", "1", "2"]))
    if rng.random() < 0.3:
        parts.append(rng.choice([".post", "-", ".post", "post", "-r", ".rev"]))
        parts.append(
            rng.choice(["1", "0", "2"]) if parts[-1] == "-" else rng.choice(["", "1", "2"])
        )
    if rng.random() < 0.3:
        parts.append(rng.choice([".dev", "dev", "-dev"]) + rng.choice(["", "0", "3"]))
    if rng.random() < 0.2:
        parts.append("+" + rng.choice(["ubuntu", "1", "abc.2", "2.abc", "1-a", "0", "Ubuntu_1"]))
    if rng.random() < 0.1:
        parts.insert(0, "v")
    if rng.random() < 0.05:
        parts.append(rng.choice(["-SNAPSHOT", "x", "_final", " "]))
    return "".join(parts)


def _semver_version(rng: random.Random, four: bool) -> str:
    n = rng.randint(1, 4 if four else 3)
    text = ".".join(str(rng.choice([0, 1, 2, 10, 1 << 70])) for _ in range(n))
    if rng.random() < 0.1:
        text = "v" + text
    if rng.random() < 0.5:
        idents = [
            rng.choice(["0", "1", "2", "01", "alpha", "Beta", "rc", "x-y", "20210101000000", "a1"])
            for _ in range(rng.randint(1, 3))
        ]
        text += "-" + ".".join(idents)
    if rng.random() < 0.2:
        text += "+" + rng.choice(["build.1", "meta", "001"])
    if rng.random() < 0.05:
        text = rng.choice(["", "junk ", "1.x", "2.0.0.0", "release-2"]) + text
    return text


def _dpkg_version(rng: random.Random) -> str:
    chars = "0123456789.~+-ab:"
    text = "".join(rng.choice(chars) for _ in range(rng.randint(1, 8)))
    if rng.random() < 0.3:
        text = f"{rng.randint(0, 3)}:{text}"
    return text


def _rpm_version(rng: random.Random) -> str:
    def part() -> str:
        chars = "0123456789.~^ab_+"
        return "".join(rng.choice(chars) for _ in range(rng.randint(1, 7)))

    epoch = f"{rng.randint(0, 2)}:" if rng.random() < 0.3 else ""
    return f"{epoch}{part()}-{part()}"


def _apk_version(rng: random.Random) -> str:
    text = ".".join(
        rng.choice(["0", "1", "2", "01", "10", "001"]) for _ in range(rng.randint(1, 3))
    )
    if rng.random() < 0.2:
        text += rng.choice("abz")
    for _ in range(rng.randint(0, 2)):
        text += "_" + rng.choice(["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"])
        text += rng.choice(["", "0", "1", "2"])
    if rng.random() < 0.1:
        text += "~" + rng.choice(["abc", "0f", "ff1"])
    if rng.random() < 0.6:
        text += f"-r{rng.randint(0, 3)}"
    if rng.random() < 0.1:
        pos = rng.randint(0, len(text))
        text = text[:pos] + rng.choice(["x", "_q", "-", ".", "A"]) + text[pos:]
    return text


def _gem_version(rng: random.Random) -> str:
    segments = [rng.choice(["0", "1", "2", "10", "a", "b", "pre", "rc", "A"]) for _ in range(5)]
    text = ".".join(segments[: rng.randint(1, 5)])
    if rng.random() < 0.2:
        text += "-" + rng.choice(["1", "beta", "0"])
    return text


def _maven_version(rng: random.Random) -> str:
    parts = [rng.choice(["0", "1", "2", "10"]) for _ in range(rng.randint(1, 4))]
    text = ".".join(parts)
    for _ in range(rng.randint(0, 2)):
        text += rng.choice(["-", ".", ""])
        text += rng.choice(
            [
                "alpha",
                "a",
                "beta",
                "b",
                "m",
                "milestone",
                "rc",
                "cr",
                "snapshot",
                "SNAPSHOT",
                "final",
                "GA",
                "release",
                "sp",
                "jre",
                "android",
                "v",
                "x",
                "1",
                "0",
                "2",
            ]
        )
        text += rng.choice(["", "", "1", "2", "0", "-1", ".1"])
    return text


GENERATORS: dict[str, Callable[[random.Random], str]] = {
    "maven": _maven_version,
    "rpm": _rpm_version,
    "apk": _apk_version,
    "gem": _gem_version,
    "pypi": _pypi_version,
    "semver": lambda rng: _semver_version(rng, False),
    "go": lambda rng: _semver_version(rng, False),
    "nuget": lambda rng: _semver_version(rng, True),
    "deb": _dpkg_version,
}


@pytest.mark.parametrize("scheme", sorted(GENERATORS))
def test_fuzz_against_comparator(scheme: str) -> None:
    rng = random.Random(SEED)
    versions = sorted({GENERATORS[scheme](rng) for _ in range(4000)})
    key = byte_key_func(scheme)
    assert key is not None
    keyed = [v for v in versions if key(v) is not None]
    assert len(keyed) >= (0.5 if scheme in ("rpm", "maven") else 0.9) * len(versions)
    assert _disagreements(versions, comparator(scheme), key) == []
    for v in keyed:
        k = key(v)
        assert k is not None and b"" < k < MAX_KEY


@pytest.mark.parametrize(
    ("ecosystem", "a", "b"),
    [
        ("PyPI", "1.0", "1.0.0"),
        ("PyPI", "1.0RC1", "1.0rc1"),
        ("PyPI", "1.0-1", "1.0.post1"),
        ("PyPI", "1.0+ABC.1", "1.0+abc-1"),
        ("PyPI", "0!1.0", "1.0"),
        ("Go", "v1.2.3", "1.2.3"),
        ("Go", "v1.2.3+incompatible", "v1.2.3"),
        ("npm", "1.0.0-01", "1.0.0-1"),
        ("Debian:12", "1.0", "1.0-0"),
        ("Debian:12", "0:1.0-1", "1.0-1"),
        ("Red Hat:9", "0:1.0-1", "1.0-1"),
        ("Red Hat:9", "1.0.a-1", "1.0a-1"),
        ("RubyGems", "1.0.0", "1"),
        ("RubyGems", "1.0.a", "1.a"),
    ],
)
def test_equal_versions_give_equal_keys(ecosystem: str, a: str, b: str) -> None:
    key = byte_key_func(ecosystem)
    assert key is not None
    assert comparator(ecosystem)(a, b) == 0
    assert key(a) == key(b) is not None


@pytest.mark.parametrize(
    ("ecosystem", "older", "newer"),
    [
        ("PyPI", "1.0.dev1", "1.0a1"),
        ("PyPI", "1.0rc1", "1.0"),
        ("PyPI", "1.0", "1.0+local"),
        ("PyPI", "1.0+local", "1.0.post1"),
        ("PyPI", "1.0.post1.dev1", "1.0.post1"),
        ("PyPI", "2004d", "0.1"),  # legacy versions sort before every PEP 440 version
        ("PyPI", "1!0.1", "2!0.0.1"),
        ("Go", "v0.0.0-20210101000000-abcdef012345", "v0.0.1"),
        ("Go", "v1.0.0-rc.1", "v1.0.0"),
        ("npm", "1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("npm", "1.0.0-2", "1.0.0-10"),
        ("Debian:12", "1.0~rc1", "1.0"),
        ("Debian:12", "1.22.1-9", "1.22.1-9+deb12u1"),
        ("Debian:12", "1:0.1", "2:0.0"),
        ("Red Hat:9", "1.0~rc1-1", "1.0-1"),
        ("Red Hat:9", "1.0-1", "1.0^git1-1"),
        ("Red Hat:9", "0:3.0.7-24.el9", "0:3.0.7-25.el9_3"),
        ("Red Hat:9", "9.9-1", "1:1.0-1"),
        ("Alpine:v3.19", "1.0_rc1-r0", "1.0-r0"),
        ("Alpine:v3.19", "1.0-r0", "1.0_p1-r0"),
        ("Alpine:v3.19", "1.01-r0", "1.1-r0"),
        ("Alpine:v3.19", "3.1.4-r5", "3.1.4-r10"),
        ("RubyGems", "1.0.a", "1.0"),
        ("RubyGems", "1.0-pre", "1.0"),
        ("RubyGems", "1.0", "1.0.0.1"),
        ("RubyGems", "2.7.4", "2.7.10"),
    ],
)
def test_real_orderings(ecosystem: str, older: str, newer: str) -> None:
    key = byte_key_func(ecosystem)
    assert key is not None
    ko, kn = key(older), key(newer)
    assert ko is not None and kn is not None
    assert ko < kn


def test_huge_numbers_are_not_encoded() -> None:
    key = byte_key_func("PyPI")
    assert key is not None
    assert key("1." + "9" * 200) is None
    assert comparator("PyPI")("1." + "9" * 200, "1.0") == 1  # the caller's fallback works


def test_pypi_fast_path_equals_packaging_parse() -> None:
    versions = [*_real("pypi"), "1..2", ".1", "1.", "", "01.00", "\u0661.2", " 1.0", "1.0 "]
    assert all(_pypi(v) == _pypi_parsed(v) for v in versions)


@pytest.mark.parametrize(("four", "fold_case"), [(False, False), (True, True)])
def test_semver_fast_path_equals_regex_parse(four: bool, fold_case: bool) -> None:
    rng = random.Random(SEED)
    versions = [*_real("go"), *_real("semver"), *_real("nuget")]
    versions += [_semver_version(rng, four) for _ in range(2000)]
    versions += ["v", "", "1..2", "1.2.3.4", "v1.2.3+incompatible", "1.2.3+inc+ompatible", "V2"]
    for version in versions:
        fast = _semver(version, four=four, fold_case=fold_case)
        assert fast == _semver_parsed(version, four=four, fold_case=fold_case), version


def test_maven_all_pairs_of_a_fuzz_sample() -> None:
    """Maven's comparator is not transitive outside the keyed part: check every pair."""
    rng = random.Random(SEED + 1)
    key = byte_key_func("Maven")
    assert key is not None
    compare = comparator("Maven")
    versions = sorted({_maven_version(rng) for _ in range(700)})
    keyed = [(v, key(v)) for v in versions]
    keyed_only = [(v, k) for v, k in keyed if k is not None]
    assert len(keyed_only) >= 400
    bad = [(a, b) for a, ka in keyed_only for b, kb in keyed_only if _sign(ka, kb) != compare(a, b)]
    assert bad == []


def test_maven_intransitive_corner_has_no_key() -> None:
    compare = comparator("Maven")
    key = byte_key_func("Maven")
    assert key is not None
    # the comparator's own cycle: 1.0.alpha < 1 < 1.sp < 1.0.alpha
    assert compare("1.0.alpha", "1") == compare("1", "1.sp") == compare("1.sp", "1.0.alpha") == -1
    assert key("1.0.alpha") is None
    assert key("1") is not None and key("1.sp") is not None
    assert key("1") < key("1.sp")  # type: ignore[operator]
    # common real versions keep their keys
    assert key("4.1.86.Final") == key("4.1.86") is not None
    assert key("2.0.0-M1") < key("2.0.0-RC1") < key("2.0.0") < key("2.0.0.1")  # type: ignore[operator]
    assert key("31.1-jre") > key("31.1")  # type: ignore[operator]
