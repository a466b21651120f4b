"""OSV records -> advisories: single JSON/YAML records, directories, osv.dev all.zip.

Handles ECOSYSTEM and SEMVER ranges (GIT ranges are skipped and counted), explicit
`versions` lists, introduced/fixed/last_affected/limit events, withdrawn records
(skipped), aliases and `upstream`, CVSS v3/v4 vectors (scored with `cvss`) and
`database_specific` / `ecosystem_specific` severities.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import yaml

from seawall.errors import InputError
from seawall.inputs import may_nest_deeply
from seawall.model import Severity
from seawall.progress import warn
from seawall.vulns.advisory import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    VersionEvent,
    severity_from_score,
)
from seawall.vulns.db import DbWriter, ImportResult
from seawall.vulns.importers.readers import iter_zip_records, read_file

_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class MalformedRecord(ValueError):
    """An OSV record that does not follow the schema (reported, then skipped)."""


def score_vector(kind: str, vector: str) -> float | None:
    """The base score of a CVSS vector, or None when it cannot be scored."""
    try:
        if kind == "CVSS_V3" or vector.startswith("CVSS:3"):
            from cvss import CVSS3

            return float(CVSS3(vector).scores()[0])
        if kind == "CVSS_V4" or vector.startswith("CVSS:4"):
            from cvss import CVSS4

            return float(CVSS4(vector).base_score)
        if kind == "CVSS_V2":
            from cvss import CVSS2

            return float(CVSS2(vector).scores()[0])
    except Exception:  # the cvss package raises several unrelated types on bad vectors
        return None
    return None


_SCALARS = (str, int, float)


def _scalar(value: object, what: str) -> str:
    # Only plain scalars: str() of a nested (YAML-aliased) structure can be exponential.
    if isinstance(value, bool) or not isinstance(value, _SCALARS):
        raise MalformedRecord(f"{what} is not a string")
    return str(value)


def _text(value: object, what: str) -> str:
    """`_scalar`, with a missing (null) value as ""."""
    return "" if value is None else _scalar(value, what)


def _str_list(value: object, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise MalformedRecord(f"{what} is not a list")
    return tuple(_scalar(v, what) for v in value if v is not None)


def _parse_severity(record: dict[str, Any]) -> tuple[Severity, float | None, str | None]:
    score: float | None = None
    vector: str | None = None
    ranked = {"CVSS_V3": 0, "CVSS_V4": 1, "CVSS_V2": 2}
    entries = record.get("severity") or []
    if isinstance(entries, list):
        for entry in sorted(
            (e for e in entries if isinstance(e, dict)),
            key=lambda e: ranked.get(_text(e.get("type"), "severity type"), 9),
        ):
            kind = _text(entry.get("type"), "severity type")
            text = _text(entry.get("score"), "severity score")
            if kind in ranked:
                score = score_vector(kind, text)
                if score is not None:
                    vector = text
                    break
    severity = severity_from_score(score) if score is not None else Severity.UNKNOWN
    specific = record.get("database_specific")
    if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
        with contextlib.suppress(ValueError):
            severity = Severity.parse(specific["severity"])
    if severity is Severity.UNKNOWN and isinstance(entries, list):
        for entry in entries:  # e.g. {"type": "Ubuntu", "score": "medium"}
            if isinstance(entry, dict) and _text(entry.get("type"), "type") not in ranked:
                try:
                    severity = Severity.parse(_text(entry.get("score"), "severity score"))
                    break
                except ValueError:
                    continue
    return severity, score, vector


def _package_severity(entry: dict[str, Any]) -> Severity | None:
    for key in ("ecosystem_specific", "database_specific"):
        specific = entry.get(key)
        if isinstance(specific, dict):
            for field in ("urgency", "severity"):
                value = specific.get(field)
                if isinstance(value, str):
                    try:
                        return Severity.parse(value.rstrip("*").replace("unimportant", "info"))
                    except ValueError:
                        continue
    return None


def _time_text(value: object, what: str) -> str | None:
    """An OSV timestamp as RFC 3339 text (YAML turns unquoted ones into datetimes)."""
    if not value:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return _scalar(value, what)


def _is_withdrawn(record: dict[str, Any]) -> bool:
    withdrawn = record.get("withdrawn")
    if not withdrawn:
        return False
    try:
        when = dt.datetime.fromisoformat(
            (_time_text(withdrawn, "withdrawn") or "").replace("Z", "+00:00")
        )
    except ValueError:
        return True
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when <= dt.datetime.now(dt.UTC)


def convert_record(
    record: object, result: ImportResult
) -> tuple[Advisory, list[AffectedPackage]] | None:
    """One OSV record as an Advisory and its AffectedPackage rows (None: skipped).

    Raises MalformedRecord when the record does not follow the OSV schema.
    """
    if not isinstance(record, dict):
        raise MalformedRecord("not an object")
    ident = record.get("id")
    if not isinstance(ident, str) or not ident:
        raise MalformedRecord("no id")
    if _is_withdrawn(record):
        result.skip("withdrawn records")
        return None
    affected_in = record.get("affected") or []
    if not isinstance(affected_in, list):
        raise MalformedRecord("affected is not a list")
    rows: list[AffectedPackage] = []
    ecosystems: list[str] = []
    for entry in affected_in:
        if not isinstance(entry, dict) or not isinstance(entry.get("package"), dict):
            raise MalformedRecord("an affected entry has no package")
        package = entry["package"]
        ecosystem, name = package.get("ecosystem"), package.get("name")
        if not isinstance(ecosystem, str) or not isinstance(name, str) or not name:
            raise MalformedRecord("a package has no ecosystem or name")
        ranges: list[AffectedRange] = []
        raw_ranges = entry.get("ranges") or []
        if not isinstance(raw_ranges, list):
            raise MalformedRecord("ranges is not a list")
        for raw in raw_ranges:
            if not isinstance(raw, dict) or not isinstance(raw.get("events"), list):
                raise MalformedRecord("a range has no events")
            kind = _scalar(raw.get("type", ""), "range type").upper()
            if kind == "GIT":
                result.skip("GIT ranges")
                continue
            if kind not in ("ECOSYSTEM", "SEMVER"):
                result.skip(f"{kind or 'untyped'} ranges")
                continue
            events: list[VersionEvent] = []
            for event in raw["events"]:
                if not isinstance(event, dict):
                    raise MalformedRecord("an event is not an object")
                for key in _EVENT_KINDS:
                    if key in event and event[key] is not None:
                        events.append(VersionEvent(key, _scalar(event[key], key)))
            if events:
                ranges.append(AffectedRange(type=kind, events=tuple(events)))
        versions = _str_list(entry.get("versions"), "versions")
        if not ranges and not versions:
            result.skip("affected entries without usable ranges")
            continue
        fixed = any(e.kind == "fixed" for r in ranges for e in r.events)
        purl = package.get("purl")
        rows.append(
            AffectedPackage(
                advisory_id=ident,
                ecosystem=ecosystem,
                name=name,
                ranges=tuple(ranges),
                versions=versions,
                status="affected" if fixed or (versions and not ranges) else "unfixed",
                severity=_package_severity(entry),
                purl=purl if isinstance(purl, str) else None,
            )
        )
        ecosystems.append(ecosystem)
    severity, score, vector = _parse_severity(record)
    refs_in = record.get("references") or []
    if not isinstance(refs_in, list):
        raise MalformedRecord("references is not a list")
    references = tuple(
        _scalar(ref["url"], "reference url")
        for ref in refs_in
        if isinstance(ref, dict) and ref.get("url")
    )
    summary = _scalar(record.get("summary") or "", "summary")
    if not summary and isinstance(record.get("details"), str):
        summary = record["details"].strip().split("\n", 1)[0][:300]
    base = ecosystems[0].split(":", 1)[0] if ecosystems else "unknown"
    advisory = Advisory(
        id=ident,
        source=f"osv:{base}",
        aliases=_str_list(record.get("aliases"), "aliases"),
        upstream=_str_list(record.get("upstream"), "upstream"),
        summary=str(summary),
        severity=severity,
        cvss_score=score,
        cvss_vector=vector,
        references=references,
        published=_time_text(record.get("published"), "published"),
        modified=_time_text(record.get("modified"), "modified"),
    )
    return advisory, rows


def decode_document(data: bytes, label: str) -> object:
    """JSON or YAML bytes as plain data (YAML with the safe loader only)."""
    text_start = data.lstrip()[:1]
    if label.endswith((".yaml", ".yml")) and text_start not in (b"{", b"["):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise MalformedRecord(f"invalid YAML (not UTF-8 at byte {exc.start})") from None
        # libyaml recurses on the C stack: a deeply nested record would crash the process,
        # so such text takes the pure-Python loader (its RecursionError is caught). Aliases
        # stay shared references: convert_record only ever turns scalars into text, so a
        # "billion laughs" record costs what its text costs (and is skipped as malformed).
        loader = yaml.SafeLoader if may_nest_deeply(text) else _SAFE_LOADER
        try:
            return yaml.load(text, Loader=loader)
        except yaml.YAMLError as exc:
            raise MalformedRecord(f"invalid YAML ({str(exc).splitlines()[0]})") from None
        except RecursionError:
            raise MalformedRecord("invalid YAML (nested too deeply)") from None
        except (ValueError, OverflowError) as exc:  # a timestamp such as 2024-13-45
            raise MalformedRecord(f"invalid YAML (cannot read a value: {exc})") from None
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise MalformedRecord(f"invalid JSON ({exc})") from None
    except RecursionError:
        raise MalformedRecord("invalid JSON (nested too deeply)") from None


def records_of(document: object) -> Iterable[object]:
    """OSV records in a decoded document: one record, a list, or {"vulns": [...]}."""
    if isinstance(document, list):
        return document
    if (
        isinstance(document, dict)
        and "id" not in document
        and isinstance(document.get("vulns"), list)
    ):
        return list(document["vulns"])
    return [document]


def store_records(
    writer: DbWriter, records: Iterable[object], label: str, result: ImportResult
) -> None:
    for record in records:
        ident = record.get("id") if isinstance(record, dict) else None
        if not isinstance(ident, str | int):
            ident = None  # only scalars in messages (a YAML-aliased id is huge as text)
        try:
            converted = convert_record(record, result)
        except MalformedRecord as exc:
            where = f"{label} (record {ident})" if ident else label
            warn(f"{where}: malformed OSV record skipped: {exc}")
            result.skip("malformed records")
            continue
        if converted is None:
            continue
        advisory, rows = converted
        result.affected += writer.put("osv", advisory, rows)
        result.advisories += 1


def _store_bytes(writer: DbWriter, data: bytes, label: str, result: ImportResult) -> None:
    try:
        document = decode_document(data, label)
    except MalformedRecord as exc:
        warn(f"{label}: malformed OSV record skipped: {exc}")
        result.skip("malformed records")
        return
    store_records(writer, records_of(document), label, result)


def iter_directory(path: Path) -> Iterator[Path]:
    """OSV files under a directory (symlinks are not followed: no escapes)."""
    for child in sorted(path.rglob("*")):
        if child.is_symlink() or not child.is_file():
            continue
        if child.name.endswith((".json", ".yaml", ".yml", ".json.gz")):
            yield child


def import_osv(path: Path, writer: DbWriter, result: ImportResult) -> None:
    """Import one OSV file, directory, JSON-lines file or all.zip archive."""
    result.files.append(str(path))
    if path.is_dir():
        for child in iter_directory(path):
            _store_bytes(writer, read_file(child), str(child), result)
        return
    name = path.name
    if name.endswith(".zip"):
        for member, data in iter_zip_records(path):
            _store_bytes(writer, data, f"{path}:{member}", result)
        return
    data = read_file(path)
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        for number, line in enumerate(data.splitlines(), 1):
            if line.strip():
                _store_bytes(writer, line, f"{path}:{number}", result)
        return
    _store_bytes(writer, data, str(path), result)


def check_is_osv(document: object, path: Path) -> None:
    """InputError unless `document` looks like OSV data at all."""
    for record in records_of(document):
        if isinstance(record, dict) and "id" in record:
            return
    raise InputError(f"{path}: not an OSV record, a Debian tracker, Alpine secdb or KEV file")
