"""100k Debian version comparisons: seawall's dpkg comparator vs univers (same pairs).

Versions are real: every `Version:` apt knows on this machine (apt-cache dumpavail), or
the installed packages (dpkg-query) when no lists are present, plus the Debian rows of
the version vectors. Pairs are drawn with a fixed seed. The figure is wall time for all
comparisons starting from a cold parse cache; the ratio is univers' time over ours. If
univers is not installed, the floor is a plain Python string comparison of the same
pairs (the least any comparator can cost).

`byte_keys`: for PyPI and Go, cold-cache time to compute the order-preserving byte key
(seawall.vulns.versions.bytekey) of every distinct real version named in advisories
(tests/data/vulns/real_versions.tsv.gz) vs the tuple sort key of the same versions,
best of 3, and the time for 5,000 versions at that rate (the size of the match SBOM);
`byte_key_none_rate`: per version scheme, the share of those real versions that get no
byte key (the matcher compares them with the exact comparator instead).

Prints one JSON object.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from seawall.vulns.versions import byte_key_func, scheme_for, sort_key  # noqa: E402
from seawall.vulns.versions.bytekey import clear_caches  # noqa: E402
from seawall.vulns.versions.dpkg import compare_dpkg, dpkg_key  # noqa: E402
from seawall.vulns.versions.pypi import pypi_key  # noqa: E402
from seawall.vulns.versions.semver import semver_key  # noqa: E402

N = 100_000


def real_versions() -> list[str]:
    versions: set[str] = set()
    try:
        dump = subprocess.run(
            ["apt-cache", "dumpavail"], capture_output=True, text=True, check=False
        ).stdout
        versions.update(
            line[9:].strip() for line in dump.splitlines() if line.startswith("Version:")
        )
    except OSError:
        pass
    if len(versions) < 1000:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}\n"], capture_output=True, text=True, check=False
        ).stdout
        versions.update(v for v in out.split() if v)
    vectors = REPO / "tests" / "data" / "vulns" / "version_vectors.tsv"
    for line in vectors.read_text().splitlines()[1:]:
        eco, a, b, *_ = line.split("\t")
        if eco == "deb":
            versions.update((a, b))
    return sorted(versions)


def _best_of_3(key: Callable[[str], object], versions: list[str]) -> tuple[float, float]:
    """Best wall and best CPU seconds over 3 cold-cache runs."""
    walls, cpus = [], []
    for _ in range(3):
        clear_caches()
        pypi_key.cache_clear()
        semver_key.cache_clear()
        start, cpu = time.perf_counter(), time.process_time()
        for version in versions:
            key(version)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def real_advisory_versions() -> dict[str, list[str]]:
    """{OSV ecosystem: versions} named in real advisories (the byte-key tests' extract)."""
    extract = REPO / "tests" / "data" / "vulns" / "real_versions.tsv.gz"
    real: dict[str, list[str]] = {}
    with gzip.open(extract, "rt", encoding="utf-8") as handle:
        for line in handle:
            ecosystem, _, version = line.rstrip("\n").partition("\t")
            real.setdefault(ecosystem, []).append(version)
    return real


def byte_key_none_rate(real: dict[str, list[str]]) -> dict[str, object]:
    """Per scheme: how many real versions, and the share that get no byte key."""
    by_scheme: dict[str, set[str]] = {}
    for ecosystem, versions in real.items():
        by_scheme.setdefault(scheme_for(ecosystem), set()).update(versions)
    out: dict[str, object] = {}
    for scheme, versions in sorted(by_scheme.items()):
        key = byte_key_func(scheme)
        none = len(versions) if key is None else sum(key(v) is None for v in versions)
        out[scheme] = {"versions": len(versions), "none_rate": round(none / len(versions), 4)}
    return out


def byte_key_speed(real: dict[str, list[str]]) -> dict[str, object]:
    """Cold-cache byte keys vs tuple sort keys for real PyPI and Go versions."""
    out: dict[str, object] = {}
    for ecosystem in ("PyPI", "Go"):
        versions = real[ecosystem]
        byte_key, tuple_key = byte_key_func(ecosystem), sort_key(ecosystem)
        assert byte_key is not None
        byte_s, byte_cpu = _best_of_3(byte_key, versions)
        tuple_s, tuple_cpu = _best_of_3(tuple_key, versions)
        out[ecosystem.lower()] = {
            "versions": len(versions),
            "byte_keys_per_s": round(len(versions) / byte_s),
            "tuple_keys_per_s": round(len(versions) / tuple_s),
            "ratio_byte_over_tuple_time": round(byte_s / tuple_s, 2),
            "byte_ms_per_5000": round(byte_s / len(versions) * 5000 * 1000, 2),
            "byte_cpu_ms_per_5000": round(byte_cpu / len(versions) * 5000 * 1000, 2),
            "tuple_cpu_ms_per_5000": round(tuple_cpu / len(versions) * 5000 * 1000, 2),
        }
    return out


def main() -> None:
    versions = real_versions()
    rng = random.Random(20261130)
    pairs = [(rng.choice(versions), rng.choice(versions)) for _ in range(N)]

    dpkg_key.cache_clear()
    start = time.perf_counter()
    ours = [compare_dpkg(a, b) for a, b in pairs]
    seawall_s = time.perf_counter() - start

    result: dict[str, object] = {
        "benchmark": "versions",
        "comparisons": N,
        "distinct_versions": len(versions),
        "seawall_s": round(seawall_s, 4),
        "comparisons_per_s": round(N / seawall_s),
    }
    try:
        from univers.debian import Version as UniversDebian
    except ImportError:
        UniversDebian = None
    if UniversDebian is not None:
        errors = 0
        theirs: list[int | None] = []
        start = time.perf_counter()
        for a, b in pairs:
            try:
                va, vb = UniversDebian.from_string(a), UniversDebian.from_string(b)
                theirs.append((va > vb) - (va < vb))
            except Exception:  # univers rejects some real Debian versions
                errors += 1
                theirs.append(None)
        univers_s = time.perf_counter() - start
        agree = sum(1 for x, y in zip(ours, theirs, strict=True) if x == y)
        result.update(
            {
                "peer": "univers.debian.Version",
                "peer_s": round(univers_s, 4),
                "ratio_peer_over_seawall": round(univers_s / seawall_s, 2),
                "peer_errors": errors,
                "agreement": round(agree / N, 4),
            }
        )
    else:
        start = time.perf_counter()
        for a, b in pairs:
            _ = (a > b) - (a < b)
        floor_s = time.perf_counter() - start
        result.update(
            {
                "floor": "python string comparison of the same pairs",
                "floor_s": round(floor_s, 4),
                "ratio_seawall_over_floor": round(seawall_s / floor_s, 2),
            }
        )
    real = real_advisory_versions()
    result["byte_keys"] = byte_key_speed(real)
    result["byte_key_none_rate"] = byte_key_none_rate(real)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
