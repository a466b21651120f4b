"""Helpers for the advisory-database tests (stage-prefixed module name)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from seawall_testlib import DATA

VULNS = DATA / "vulns"


def zip_records(target: Path, sources: list[Path]) -> Path:
    """An osv.dev-style all.zip: one <ID>.json per member at the archive root."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in sources:
            archive.write(source, source.name)
    return target


def pypi_json_records(tmp: Path) -> list[Path]:
    """The PYSEC YAML records of tests/data/vulns/pypi converted to JSON files."""
    import json

    import yaml

    out = []
    for path in sorted((VULNS / "pypi").rglob("*.yaml")):
        record = yaml.safe_load(path.read_text())
        target = tmp / f"{record['id']}.json"
        target.write_text(json.dumps(record, default=str))
        out.append(target)
    return out
