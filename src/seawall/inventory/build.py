"""Build one inventory from many inputs: sniff each file, load it, merge and dedupe.

build_inventory(paths, live_options) is the pipeline behind `seawall inventory`;
load_inventory_document(path) reads a `seawall.inventory/v1` document back.
"""

from __future__ import annotations

import datetime
import importlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec

from seawall.errors import InputError, SeawallError
from seawall.inputs import iter_files, read_text
from seawall.inventory.base import ControlState, InventoryPart
from seawall.inventory.fargate import fargate_agent_controls
from seawall.inventory.sources import SOURCE_MODULES
from seawall.model import Asset, Relation
from seawall.progress import progress_bar

INVENTORY_SCHEMA = "seawall.inventory/v1"
SNIFF_BYTES = 64 * 1024
# Documentation beside the data in an estate directory is not an input.
_IGNORED_SUFFIXES = (".md", ".txt", ".rst", ".license")
_IGNORED_NAMES = ("LICENSE", "NOTICE", "COPYING", "AUTHORS")
_ALL_FILES = ("",)
CLOUDS = ("aws", "azure", "gcp")


class Inventory(msgspec.Struct, kw_only=True):
    """The `seawall.inventory/v1` document."""

    schema: str = INVENTORY_SCHEMA
    generated_at: str = ""
    sources: list[str] = msgspec.field(default_factory=list)
    assets: list[Asset] = msgspec.field(default_factory=list)
    relations: list[Relation] = msgspec.field(default_factory=list)
    controls: list[ControlState] = msgspec.field(default_factory=list)
    warnings: list[str] = msgspec.field(default_factory=list)


def _modules() -> list[ModuleType]:
    """Source modules in sniffing order: specific formats first, generic Kubernetes last."""
    found: list[ModuleType] = []
    for name in SOURCE_MODULES:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a missing dependency, not a missing module
                raise
    found.sort(key=lambda m: m.__name__.endswith(".kubernetes"))
    return found


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def _is_inventory_document(path: Path, head: bytes) -> bool:
    return path.name.endswith(".json") and f'"{INVENTORY_SCHEMA}"'.encode() in head[:4096]


def load_inventory_document(path: Path) -> Inventory:
    """Read a `seawall.inventory/v1` JSON document; InputError when it is not one."""
    text = read_text(path)
    try:
        inventory = msgspec.json.decode(text.encode(), type=Inventory)
    except msgspec.ValidationError as exc:
        raise InputError(f"{path}: not a seawall inventory document ({exc})") from None
    except msgspec.DecodeError as exc:
        raise InputError(f"{path}: invalid JSON ({exc})") from None
    except RecursionError:  # msgspec builds typed structs recursively
        raise InputError(f"{path}: JSON nested too deeply") from None
    if inventory.schema != INVENTORY_SCHEMA:
        raise InputError(f"{path}: schema is {inventory.schema!r}, expected {INVENTORY_SCHEMA!r}")
    return inventory


def _document_part(path: Path) -> InventoryPart:
    doc = load_inventory_document(path)
    return InventoryPart(
        assets=doc.assets,
        relations=doc.relations,
        controls=doc.controls,
        warnings=list(doc.warnings),
        sources=[str(path)],
    )


def _classify(path: Path, modules: Sequence[ModuleType]) -> ModuleType | str | None:
    """The module that reads `path`, "inventory" for our own documents, None if unknown."""
    head = _head(path)
    if _is_inventory_document(path, head):
        return "inventory"
    for module in modules:
        if module.sniff(path, head):
            return module
    return None


def _grouped_loader(module: ModuleType) -> Callable[[list[Path], str], InventoryPart] | None:
    loader = getattr(module, "load_files", None)
    return loader if callable(loader) else None


def collect_files(
    paths: Iterable[Path], modules: Sequence[ModuleType]
) -> tuple[list[tuple[Any, list[Path], str]], list[str]]:
    """Plan the work: (module or "inventory", files, group name) per load, and warnings.

    Files of modules that read related files together (Kubernetes manifests, Terraform
    HCL) are grouped per directory so references across files resolve.
    """
    jobs: list[tuple[Any, list[Path], str]] = []
    warnings: list[str] = []
    grouped: dict[tuple[str, Path], list[Path]] = defaultdict(list)
    by_name = {m.__name__: m for m in modules}
    for root in paths:
        if not root.exists() and not root.is_symlink():
            raise InputError(f"{root}: no such file or directory")
        if root.is_dir() and not root.is_symlink():
            files = [
                f for f in iter_files(root, _ALL_FILES) if not f.name.endswith(_IGNORED_SUFFIXES)
            ]
        else:
            files = [root]
        for file in files:
            if file.is_symlink():
                warnings.append(f"{file}: symbolic link, skipped")
                continue
            found = _classify(file, modules)
            if found is None:
                warnings.append(f"{file}: unknown format, skipped")
            elif found == "inventory":
                jobs.append(("inventory", [file], str(file)))
            elif isinstance(found, ModuleType) and _grouped_loader(found) is not None:
                grouped[(found.__name__, file.parent)].append(file)
            else:
                jobs.append((found, [file], str(file)))
    for (name, directory), files in grouped.items():
        jobs.append((by_name[name], files, directory.name or str(directory)))
    return jobs, warnings


def merge_parts(parts: Iterable[InventoryPart]) -> InventoryPart:
    """One part from many: assets deduped by id (first wins, tags merged), relations by
    (source, kind, target), controls by (control, scope) with a known status beating
    `unknown`."""
    merged = InventoryPart()
    assets: dict[str, Asset] = {}
    relations: dict[tuple[str, str, str], Relation] = {}
    controls: dict[tuple[str, str], ControlState] = {}
    for part in parts:
        for asset in part.assets:
            old = assets.get(asset.id)
            if old is None:
                assets[asset.id] = asset
            elif asset.tags and asset.tags != old.tags:
                assets[asset.id] = msgspec.structs.replace(old, tags={**asset.tags, **old.tags})
        for relation in part.relations:
            relations.setdefault((relation.source, relation.kind, relation.target), relation)
        for control in part.controls:
            key = (control.control, control.scope)
            old_control = controls.get(key)
            if old_control is None or (old_control.status == "unknown" != control.status):
                controls[key] = control
        merged.warnings.extend(part.warnings)
        merged.sources.extend(s for s in part.sources if s not in merged.sources)
    merged.assets = list(assets.values())
    merged.relations = list(relations.values())
    merged.controls = list(controls.values())
    return merged


def _live_parts(options: Mapping[str, Any], modules: Sequence[ModuleType]) -> list[InventoryPart]:
    parts: list[InventoryPart] = []
    wanted = [cloud for cloud in CLOUDS if options.get(cloud)]
    if options.get("kube_context") or options.get("kubernetes"):
        wanted.append("kubernetes")
    by_short = {m.__name__.rsplit(".", 1)[-1]: m for m in modules}
    for name in wanted:
        module = by_short.get(name)
        if module is None:
            parts.append(InventoryPart(warnings=[f"{name}: live collection is not available"]))
            continue
        try:
            parts.append(module.collect_live(**options))
        except Exception as exc:  # one cloud's credentials/API failure must not stop others
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if not isinstance(exc, SeawallError):
                reason = f"{type(exc).__name__}: {reason}"
            parts.append(
                InventoryPart(
                    warnings=[f"{name}: live collection failed ({reason[:300]}); skipped"],
                    sources=[f"live:{name}"],
                )
            )
    return parts


def build_inventory(
    paths: Sequence[Path], live_options: Mapping[str, Any] | None = None
) -> Inventory:
    """Read every input (files, directories, live clouds) into one merged inventory.

    A file in no known format is skipped with a warning naming it; a file that fails to
    load is a warning too (batches go on); a cloud whose credentials fail is a warning
    and the other clouds are still collected. Raises InputError for a missing path.
    """
    modules = _modules()
    jobs, warnings = collect_files(paths, modules)
    parts: list[InventoryPart] = [InventoryPart(warnings=warnings)]
    with progress_bar() as progress:
        task = progress.add_task("inventory", total=len(jobs))
        for module, files, group in jobs:
            try:
                if module == "inventory":
                    parts.append(_document_part(files[0]))
                elif _grouped_loader(module) is not None:
                    loader = _grouped_loader(module)
                    assert loader is not None
                    parts.append(loader(files, group))
                else:
                    parts.append(module.load_file(files[0]))
            except InputError as exc:
                parts.append(InventoryPart(warnings=[f"{exc}; skipped"]))
            progress.advance(task)
    parts.extend(_live_parts(live_options or {}, modules))
    merged = merge_parts(parts)
    # a cluster's tags and the detector may come from different sources: decide once merged
    merged = merge_parts([merged, InventoryPart(controls=fargate_agent_controls(merged))])
    return Inventory(
        generated_at=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        sources=merged.sources,
        assets=sorted(merged.assets, key=lambda a: (a.provider, a.service, a.kind, a.id)),
        relations=sorted(merged.relations, key=lambda r: (r.source, r.kind, r.target)),
        controls=sorted(merged.controls, key=lambda c: (c.control, c.scope)),
        warnings=merged.warnings,
    )
