"""100k Debian version comparisons: seawall's dpkg comparator vs univers (same pairs).

Versions are real: every `Version:` apt knows on this machine (apt-cache dumpavail), or
the installed packages (dpkg-query) when no lists are present, plus the Debian rows of
the version vectors. Pairs are drawn with a fixed seed. The figure is wall time for all
comparisons starting from a cold parse cache; the ratio is univers' time over ours. If
univers is not installed, the floor is a plain Python string comparison of the same
pairs (the least any comparator can cost).

Prints one JSON object.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from seawall.vulns.versions.dpkg import compare_dpkg, dpkg_key  # noqa: E402

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
    print(json.dumps(result))


if __name__ == "__main__":
    main()
