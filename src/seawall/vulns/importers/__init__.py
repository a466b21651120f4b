"""Importers: turn advisory feeds into database rows. One module per feed format.

`import_files` detects each file's format (OSV record/list/directory/all.zip/JSON lines,
Debian tracker JSON, Alpine secdb JSON/YAML, CISA KEV) and imports all of them in ONE
transaction: a corrupt or unreadable file aborts the import and leaves the previous
database intact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from seawall.errors import InputError
from seawall.vulns.db import DbWriter, ImportResult, building
from seawall.vulns.importers.alpine import import_alpine, looks_like_secdb
from seawall.vulns.importers.debian import import_debian, looks_like_tracker
from seawall.vulns.importers.kev import import_kev, looks_like_kev
from seawall.vulns.importers.osv import (
    MalformedRecord,
    check_is_osv,
    decode_document,
    import_osv,
    records_of,
    store_records,
)
from seawall.vulns.importers.readers import read_file


def import_path(path: Path, writer: DbWriter, results: dict[str, ImportResult]) -> ImportResult:
    """Import one file or directory into an open writer; returns its source's result."""

    def result_for(source: str) -> ImportResult:
        return results.setdefault(source, ImportResult(source=source))

    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if path.is_dir() or path.name.endswith((".zip", ".jsonl", ".jsonl.gz", ".ndjson")):
        result = ImportResult(source="osv")
        import_osv(path, writer, result)
        return _merge_osv(result, results)
    data = read_file(path)
    try:
        document = decode_document(data, path.name.removesuffix(".gz"))
    except MalformedRecord as exc:
        raise InputError(f"{path}: {exc}") from None
    if looks_like_kev(document):
        import_kev(document, path, writer, result := result_for("kev"))
        return result
    if looks_like_secdb(document):
        import_alpine(document, path, writer, result := result_for("alpine-secdb"))
        return result
    if looks_like_tracker(document):
        import_debian(document, path, writer, result := result_for("debian-tracker"))
        return result
    check_is_osv(document, path)
    result = ImportResult(source="osv", files=[str(path)])
    store_records(writer, records_of(document), str(path), result)
    return _merge_osv(result, results)


def _merge_osv(result: ImportResult, results: dict[str, ImportResult]) -> ImportResult:
    total = results.setdefault("osv", ImportResult(source="osv"))
    total.files += result.files
    total.advisories += result.advisories
    total.affected += result.affected
    for reason, count in result.skipped.items():
        total.skip(reason, count)
    return result


def import_files(
    paths: Sequence[Path],
    db_path: Path | str | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> list[ImportResult]:
    """Import every path in one transaction; returns one result per source kind."""
    results: dict[str, ImportResult] = {}
    with building(db_path) as writer:
        for path in paths:
            import_path(path, writer, results)
            if on_file is not None:
                on_file(path)
        for result in results.values():
            writer.record_source(result)
    return list(results.values())


__all__ = ["import_files", "import_path"]
