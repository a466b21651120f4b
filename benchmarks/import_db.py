"""Import the full PyPI advisory database plus the Go vulndb: records per second.

Data: ../shared/data/vulns/pypi-advisory-db/vulns (2,662 PYSEC YAML files) and
../shared/data/vulns/osv/go/golang-vulndb-osv.jsonl.gz (4,291 GO records). The figure is
records/s for `seawall db import` of both into a fresh database (one transaction, temp
file, rename). The floor, measured in the same run, is only reading and decoding the
same files (YAML with the C safe loader, JSON with msgspec): the parse cost no importer
avoids; the ratio is floor time over import time (1.0 would mean storing is free).

Prints one JSON object.
"""

from __future__ import annotations

import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

import msgspec  # noqa: E402
import yaml  # noqa: E402

from seawall.vulns.db import AdvisoryDB  # noqa: E402
from seawall.vulns.importers import import_files  # noqa: E402

SHARED = REPO.parent / "shared" / "data" / "vulns"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data/vulns")
PYPI = SHARED / "pypi-advisory-db" / "vulns"
GO = SHARED / "osv" / "go" / "golang-vulndb-osv.jsonl.gz"


def decode_floor() -> tuple[int, float]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    start = time.perf_counter()
    count = 0
    for path in sorted(PYPI.rglob("*.yaml")):
        yaml.load(path.read_bytes(), Loader=loader)
        count += 1
    for line in gzip.decompress(GO.read_bytes()).splitlines():
        if line.strip():
            msgspec.json.decode(line)
            count += 1
    return count, time.perf_counter() - start


def main() -> None:
    records, floor_s = decode_floor()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "advisories.db"
        start = time.perf_counter()
        results = import_files([PYPI, GO], db)
        import_s = time.perf_counter() - start
        with AdvisoryDB.open(db) as adb:
            status = adb.status()
        size = db.stat().st_size
    imported = sum(r.advisories for r in results)
    print(
        json.dumps(
            {
                "benchmark": "import_db",
                "records_read": records,
                "advisories_imported": imported,
                "affected_rows": status.affected,
                "import_s": round(import_s, 3),
                "records_per_s": round(records / import_s),
                "floor": "read + decode the same files only",
                "floor_s": round(floor_s, 3),
                "ratio_floor_over_import": round(floor_s / import_s, 3),
                "db_bytes": size,
            }
        )
    )


if __name__ == "__main__":
    main()
