"""Helpers shared by the cloud sources (aws, azure, gcp): bounded JSON reading, asset building."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from seawall._gc import gc_paused as gc_paused  # re-exported for the cloud sources
from seawall.errors import InputError
from seawall.inputs import NUMBER_TOO_LONG, load_json, read_text
from seawall.inventory.base import InventoryPart
from seawall.model import Asset, Relation

MAX_EXPORT_BYTES = 256 * 1024 * 1024  # one provider export file
MAX_JSON_DEPTH = 200  # json.loads recursion is bounded by Python; refuse silly nesting earlier


def read_export(path: Path, limit: int = MAX_EXPORT_BYTES) -> str:
    """Read an export file (UTF-8, at most `limit` bytes, not a symlink) or raise InputError."""
    return read_text(path, limit)


def parse_json(text: str, where: str) -> Any:
    """json.loads with a one-line InputError naming the file and position."""
    try:
        return load_json(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where}: invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})"
        ) from None
    except ValueError:  # an integer past Python's 4,300-digit conversion limit
        raise InputError(f"{where}: invalid JSON: {NUMBER_TOO_LONG}") from None
    except RecursionError:
        raise InputError(f"{where}: JSON nested too deeply") from None


def parse_json_lines(text: str, where: str) -> list[Any]:
    """Parse JSON lines (blank lines ignored); an error names the line."""
    records: list[Any] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(load_json(line))
        except (ValueError, RecursionError):
            raise InputError(f"{where}:{number}: invalid JSON line") from None
    return records


def jsonable(value: Any) -> Any:
    """Deep-copy an SDK response into plain JSON types (datetimes become ISO 8601 strings)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def pick(record: Any, *names: str) -> Any:
    """The first present, non-None field among `names`, trying each as camelCase and PascalCase.

    AWS APIs, AWS Config and CloudFormation spell the same field `serviceName` or `ServiceName`;
    GCP exports spell outer fields `asset_type` or `assetType`. One getter reads them all.
    """
    if not isinstance(record, dict):
        return None
    for name in names:
        value = record.get(name)
        if value is not None:
            return value
        first = name[:1]
        other = first.lower() if first.isupper() else first.upper()
        value = record.get(other + name[1:])
        if value is not None:
            return value
    return None


def path_get(record: Any, *path: str) -> Any:
    """Follow `path` through nested dicts with `pick` at each step; None when absent."""
    current = record
    for name in path:
        current = pick(current, name)
        if current is None:
            return None
    return current


def as_list(value: Any) -> list[Any]:
    """`value` if it is a list, else an empty list (hostile inputs put anything anywhere)."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a dict, else an empty dict."""
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str:
    """A string field as a string ("" when missing or not a string)."""
    return value if isinstance(value, str) else ""


class PartBuilder:
    """Collects assets, relations, controls and warnings without duplicates."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.part = InventoryPart(sources=[source] if source else [])
        self._asset_ids: set[str] = set()
        self._relations: set[tuple[str, str, str]] = set()

    def add_asset(self, asset: Asset) -> None:
        if asset.id in self._asset_ids:
            return
        self._asset_ids.add(asset.id)
        self.part.assets.append(asset)

    def has_asset(self, asset_id: str) -> bool:
        return asset_id in self._asset_ids

    def relate(self, source: str, kind: str, target: str, **properties: Any) -> None:
        if not source or not target or (source, kind, target) in self._relations:
            return
        self._relations.add((source, kind, target))
        self.part.relations.append(
            Relation(source=source, kind=kind, target=target, properties=properties)
        )

    def add_images(self, workload_id: str, images: list[str]) -> None:
        for image in images:
            self.relate(workload_id, "runs-image", image)

    def warn(self, message: str) -> None:
        self.part.warnings.append(message)


def unique(values: list[str]) -> list[str]:
    """`values` without empties and duplicates, in first-seen order."""
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return list(seen)
