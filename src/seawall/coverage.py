"""The responsibility x coverage matrix.

For every container service instance in an inventory (workloads and clusters, grouped by
service) and every (layer, task) cell: who is responsible (catalog), which native
controls could cover the cell, whether one is active (ControlState), and the verdict:
covered, gap, or the provider's responsibility. Each customer/shared gap is a
`coverage-gap` Finding; public workloads get a higher severity.
"""

from __future__ import annotations

import contextlib
import json
import mmap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from seawall.errors import InputError
from seawall.inventory.base import ControlState
from seawall.inventory.build import Inventory
from seawall.inventory.catalog import CELLS, Catalog, Service
from seawall.model import Asset, Finding, Layer, Location, Party, Severity, Task

COVERAGE_SCHEMA = "seawall.coverage/v1"
ROW_KINDS = ("workload", "cluster")
# What seawall itself offers for a task, named in remediations of cells no control covers.
SEAWALL_VERBS = {
    Task.HARDENING: "seawall harden",
    Task.VULNERABILITY_MANAGEMENT: "seawall image",
    Task.THREAT_DETECTION: "seawall detect",
}


class ControlStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One native control that can cover a cell, and its state for this asset."""

    control: str
    name: str
    status: str  # on | off | unknown
    scope: str = ""  # the ControlState scope that decided the status ("" when none)


class Cell(msgspec.Struct, frozen=True, kw_only=True):
    """One (layer, task) cell of a row.

    coverage: native-active | native-partial | seawall-scan | native-off | native-unknown |
    none | provider
    verdict: covered | gap | provider
    """

    layer: Layer
    task: Task
    party: Party
    controls: list[ControlStatus]
    coverage: str
    verdict: str


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """One container service instance and its nine cells."""

    asset: str
    name: str
    kind: str
    service: str
    service_name: str
    provider: str
    account: str | None
    region: str | None
    public: bool
    runtime_scanning: bool
    cells: list[Cell]


class ServiceSummary(msgspec.Struct, frozen=True, kw_only=True):
    service: str
    name: str
    instances: int
    gaps: int


class CoverageReport(msgspec.Struct, kw_only=True):
    """The `seawall.coverage/v1` document."""

    schema: str = COVERAGE_SCHEMA
    generated_at: str = ""
    sources: list[str] = msgspec.field(default_factory=list)
    rows: list[Row] = msgspec.field(default_factory=list)
    services: list[ServiceSummary] = msgspec.field(default_factory=list)
    findings: list[Finding] = msgspec.field(default_factory=list)
    warnings: list[str] = msgspec.field(default_factory=list)


SCAN_SCHEMAS = ("seawall.image/v1", "seawall.harden/v1")


@dataclass
class ScanEvidence:
    """What seawall itself has scanned: images (`seawall image`) and assets (`seawall harden`)."""

    images: set[str] = field(default_factory=set)
    hardened: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)

    def covers(self, asset: Asset, images: Iterable[str], layer: Layer, task: Task) -> bool:
        if task is Task.VULNERABILITY_MANAGEMENT and layer is Layer.APPLICATION:
            wanted = {normalize_image(i) for i in images}
            return bool(wanted) and wanted <= self.images
        if task is Task.HARDENING and layer in (Layer.APPLICATION, Layer.PLATFORM):
            return asset.id in self.hardened
        return False


def normalize_image(reference: str) -> str:
    """`registry:nginx:1.25` and `docker.io/library/nginx:1.25` compare equal."""
    ref = reference.strip()
    for prefix in ("registry:", "docker://"):
        if ref.startswith(prefix):
            ref = ref[len(prefix) :]
    first, _, rest = ref.partition("/")
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        ref = f"docker.io/{ref}" if rest else f"docker.io/library/{ref}"
    if ref.startswith("docker.io/") and ref.count("/") == 1:
        ref = "docker.io/library/" + ref.split("/", 1)[1]
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        ref += ":latest"
    return ref


MAX_SCAN_DOCUMENT_BYTES = 256 * 1024 * 1024


def is_scan_document(path: Path, head: bytes) -> bool:
    """A seawall image or harden JSON document (evidence that seawall scanned something).

    seawall writes JSON with sorted keys, so `"schema"` comes after `"findings"` (and, for
    harden, `"checked_assets"`): when the head does not name the schema, look for the
    top-level `"schema": "seawall.<verb>/v1"` member in the whole file (memory-mapped).
    """
    if not path.name.endswith(".json"):
        return False
    if any(f'"{schema}"'.encode() in head[:4096] for schema in SCAN_SCHEMAS):
        return True
    if not head.lstrip().startswith(b"{"):
        return False
    try:
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return any(
                m.find(f'"schema": "{schema}"'.encode()) >= 0
                or m.find(f'"schema":"{schema}"'.encode()) >= 0
                for schema in SCAN_SCHEMAS
            )
    except (OSError, ValueError):  # empty file, not mappable
        return False


def read_scan_evidence(paths: Iterable[Path], evidence: ScanEvidence | None = None) -> ScanEvidence:
    """Collect scanned images (seawall.image/v1 `target.ref`) and hardened assets
    (seawall.harden/v1 `checked_assets` and finding assets) from seawall result documents."""
    found = evidence or ScanEvidence()
    for path in paths:
        try:
            size = path.stat().st_size
            if size > MAX_SCAN_DOCUMENT_BYTES:
                raise InputError(
                    f"{path}: file is {size} bytes, more than the {MAX_SCAN_DOCUMENT_BYTES} allowed"
                )
            doc = json.loads(path.read_bytes())
        except RecursionError:
            raise InputError(f"{path}: JSON nested too deeply") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: cannot read seawall result document ({exc})") from None
        if not isinstance(doc, dict):
            raise InputError(f"{path}: not a seawall result document")
        schema = doc.get("schema")
        if schema == "seawall.image/v1":
            target = doc.get("target") or {}
            ref = target.get("ref") if isinstance(target, dict) else None
            if isinstance(ref, str) and ref:
                found.images.add(normalize_image(ref))
        elif schema == "seawall.harden/v1":
            checked = doc.get("checked_assets")  # every asset checked, clean ones too
            for asset in checked if isinstance(checked, list) else []:
                if isinstance(asset, str):
                    found.hardened.add(asset)
            findings = doc.get("findings")  # a number here was a TypeError traceback
            for finding in findings if isinstance(findings, list) else []:
                if isinstance(finding, dict) and isinstance(finding.get("asset"), str):
                    found.hardened.add(finding["asset"])
        else:
            raise InputError(f"{path}: schema {schema!r} is not a seawall scan result")
        found.sources.append(str(path))
    return found


def _scopes_for(asset: Asset) -> list[str]:
    """Control scopes that apply to an asset, most specific first."""
    scopes = [asset.id]
    if asset.account:
        if asset.provider == "aws" and asset.region:
            scopes.append(f"aws:{asset.account}/{asset.region}")
        scopes.append(f"{asset.provider}:{asset.account}")
        if asset.provider == "azure":
            scopes.append(f"azure:{asset.account.lower()}")
    scopes.append(f"{asset.provider}:*")
    return scopes


def _task_disabled(state: ControlState, task: Task | None) -> bool:
    """A control that is on but has the part for `task` switched off (GKE security posture
    with vulnerability scanning disabled covers hardening, not vulnerabilities)."""
    if task is Task.VULNERABILITY_MANAGEMENT:
        mode = state.details.get("vulnerability_mode", "")
        return mode.upper().endswith(("DISABLED", "UNSPECIFIED"))
    return False


def control_status(
    key: str,
    asset: Asset,
    states: dict[tuple[str, str], ControlState],
    task: Task | None = None,
) -> tuple[str, str]:
    """(status, deciding scope) of control `key` for `asset`: the most specific state wins."""
    for scope in _scopes_for(asset):
        state = states.get((key, scope))
        if state is not None and state.status in ("on", "off"):
            if state.status == "on" and _task_disabled(state, task):
                return "off", scope
            return state.status, scope
    return "unknown", ""


def is_public(
    asset: Asset,
    inventory: Inventory,
    assets: dict[str, Asset],
    exposures: dict[str, list[str]] | None = None,
) -> bool:
    """Public when the asset says so or a public endpoint exposes it.

    `exposures` (source id -> exposed-by targets, from `exposure_index`) avoids a scan of
    every relation per asset.
    """
    if asset.properties.get("public") is True:
        return True
    if exposures is None:
        exposures = exposure_index(inventory)
    for target in exposures.get(asset.id, ()):
        endpoint = assets.get(target)
        if endpoint is None or endpoint.properties.get("public") is not False:
            return True
    return False


def exposure_index(inventory: Inventory) -> dict[str, list[str]]:
    """Workload/cluster id -> the endpoints it is `exposed-by`."""
    index: dict[str, list[str]] = {}
    for relation in inventory.relations:
        if relation.kind == "exposed-by":
            index.setdefault(relation.source, []).append(relation.target)
    return index


def is_container_instance(asset: Asset, catalog: Catalog) -> bool:
    service = catalog.service(asset.service)
    return (
        asset.kind in ROW_KINDS
        and service is not None
        and service.runs_containers
        and asset.properties.get("container", True) is not False
    )


def _cell(
    asset: Asset,
    service: Service,
    layer: Layer,
    task: Task,
    catalog: Catalog,
    states: dict[tuple[str, str], ControlState],
    scans: ScanEvidence,
) -> Cell:
    party = service.responsibility[(layer, task)]
    controls: list[ControlStatus] = []
    for key in service.controls[(layer, task)]:
        status, scope = control_status(key, asset, states, task)
        control = catalog.control(key)
        controls.append(
            ControlStatus(
                control=key, name=control.name if control else key, status=status, scope=scope
            )
        )
    statuses = {c.status for c in controls}
    images = [str(i) for i in asset.properties.get("images") or []]
    if "on" in statuses and _outside_scanned_registries(
        service, layer, task, images, [c.control for c in controls if c.status == "on"], catalog
    ):
        coverage = "native-partial"
    elif "on" in statuses:
        coverage = "native-active"
    elif "off" in statuses:
        coverage = "native-off"
    elif controls:
        coverage = "native-unknown"
    else:
        coverage = "none"
    if coverage != "native-active" and scans.covers(asset, images, layer, task):
        coverage = "seawall-scan"
    if party is Party.PROVIDER:
        verdict = "provider"
        coverage = "provider" if coverage not in ("native-active", "seawall-scan") else coverage
    elif coverage in ("native-active", "seawall-scan"):
        verdict = "covered"
    else:
        verdict = "gap"
    return Cell(
        layer=layer, task=task, party=party, controls=controls, coverage=coverage, verdict=verdict
    )


def _outside_scanned_registries(
    service: Service,
    layer: Layer,
    task: Task,
    images: Sequence[str],
    active: Sequence[str],
    catalog: Catalog,
) -> list[str]:
    """Images of a registry-scanning-only workload that no active control scans.

    Where a service allows no runtime scanning (Container Apps, Fargate, Cloud Run, ...),
    vulnerability management comes from registry scanning only: an image pulled from another
    registry (Docker Hub, GHCR, ...) is not covered even while the registry scanner is on.
    """
    if service.runtime_scanning_possible or (layer, task) != (
        Layer.APPLICATION,
        Task.VULNERABILITY_MANAGEMENT,
    ):
        return []
    controls = [c for c in (catalog.control(k) for k in active) if c is not None]
    return [i for i in images if not any(c.scans_image(i) for c in controls)]


def _severity(party: Party, public: bool) -> Severity:
    if party is Party.CUSTOMER:
        return Severity.HIGH if public else Severity.MEDIUM
    return Severity.MEDIUM if public else Severity.LOW


def _asset_location(asset: Asset) -> Location | None:
    """Where an IaC/manifest asset was declared (path relative to the working directory)."""
    where = asset.properties.get("location")
    if not isinstance(where, dict) or not isinstance(where.get("path"), str):
        return None
    path = Path(where["path"])
    with contextlib.suppress(ValueError):
        path = path.resolve().relative_to(Path.cwd().resolve())
    line = where.get("line")
    return Location(path=str(path), line=line if isinstance(line, int) else None)


def _gap_finding(
    row: Row,
    cell: Cell,
    service: Service,
    catalog: Catalog,
    location: Location | None = None,
    images: Sequence[str] = (),
) -> Finding:
    layer, task = cell.layer, cell.task
    remediations: list[str] = []
    references: list[str] = [service.controls_source, service.responsibility_source]
    for status in cell.controls:
        control = catalog.control(status.control)
        if control is None:
            continue
        references.append(control.source)
        if status.status != "on":
            remediations.append(control.remediation)
    unscanned: list[str] = []
    if cell.coverage == "native-partial":
        active = [c.control for c in cell.controls if c.status == "on"]
        unscanned = _outside_scanned_registries(
            service, cell.layer, cell.task, images, active, catalog
        )
    if unscanned:
        remediations.append(
            f"{service.name} gets registry scanning only: {', '.join(unscanned)} "
            f"{'is' if len(unscanned) == 1 else 'are'} outside the registries the active "
            f"controls scan; push to a scanned registry or scan with `seawall image`."
        )
    if not cell.controls:
        remediations.append(
            f"No native control covers {layer.value} {task.value} on {service.name}; "
            f"cover it with `{SEAWALL_VERBS[task]}` or a third-party tool."
        )
    listed = ", ".join(f"{c.control} ({c.status})" for c in cell.controls) or "none available"
    return Finding(
        type="coverage-gap",
        rule=f"coverage-gap/{layer.value}/{task.value}",
        title=(
            f"No active {task.value} control for the {layer.value} layer of "
            f"{service.name} ({cell.party.value} responsibility)"
        ),
        severity=_severity(cell.party, row.public),
        asset=row.asset,
        layer=layer,
        task=task,
        evidence=f"{row.name} [{row.service}]: native controls: {listed}"
        + ("; publicly exposed" if row.public else ""),
        remediation=" ".join(dict.fromkeys(remediations)),
        references=tuple(dict.fromkeys(r for r in references if r)),
        location=location,
        details={
            "service": row.service,
            "party": cell.party.value,
            "coverage": cell.coverage,
            "controls": [c.control for c in cell.controls],
            "public": row.public,
            **({"unscanned_images": unscanned} if unscanned else {}),
        },
    )


def build_coverage(
    inventory: Inventory, catalog: Catalog, scans: ScanEvidence | None = None
) -> CoverageReport:
    """Rows for every container service instance, cells per layer x task, gap findings.

    `scans` (seawall image / harden results) cover the cells seawall itself checked.
    """
    evidence = scans or ScanEvidence()
    assets = {a.id: a for a in inventory.assets}
    states = {(c.control, c.scope): c for c in inventory.controls}
    exposures = exposure_index(inventory)
    rows: list[Row] = []
    findings: list[Finding] = []
    warnings = list(inventory.warnings)
    for asset in inventory.assets:
        if asset.kind in ROW_KINDS and asset.service and catalog.service(asset.service) is None:
            warnings.append(f"{asset.id}: service {asset.service!r} is not in the catalog")
        if not is_container_instance(asset, catalog):
            continue
        service = catalog.services[asset.service]
        cells = [
            _cell(asset, service, layer, task, catalog, states, evidence) for layer, task in CELLS
        ]
        images = [str(i) for i in asset.properties.get("images") or []]
        row = Row(
            asset=asset.id,
            name=asset.name,
            kind=asset.kind,
            service=service.key,
            service_name=service.name,
            provider=asset.provider,
            account=asset.account,
            region=asset.region,
            public=is_public(asset, inventory, assets, exposures),
            runtime_scanning=service.runtime_scanning_possible,
            cells=cells,
        )
        rows.append(row)
        location = _asset_location(asset)
        findings.extend(
            _gap_finding(row, cell, service, catalog, location, images)
            for cell in cells
            if cell.verdict == "gap"
        )
    rows.sort(key=lambda r: (r.service, r.kind != "cluster", r.name, r.asset))
    findings.sort(key=lambda f: (-f.severity.rank, f.asset, f.layer.value, f.task.value))
    return CoverageReport(
        generated_at=inventory.generated_at,
        sources=list(inventory.sources) + evidence.sources,
        rows=rows,
        services=_summaries(rows, catalog),
        findings=findings,
        warnings=warnings,
    )


def _summaries(rows: Sequence[Row], catalog: Catalog) -> list[ServiceSummary]:
    counts: dict[str, list[int]] = {}
    for row in rows:
        entry = counts.setdefault(row.service, [0, 0])
        entry[0] += 1
        entry[1] += sum(1 for cell in row.cells if cell.verdict == "gap")
    return [
        ServiceSummary(service=key, name=catalog.services[key].name, instances=n, gaps=gaps)
        for key, (n, gaps) in sorted(counts.items())
    ]


def cell_of(row: Row, layer: Layer, task: Task) -> Cell:
    """The cell of `row` at (layer, task)."""
    for cell in row.cells:
        if cell.layer is layer and cell.task is task:
            return cell
    raise KeyError((layer, task))


def gap_count(rows: Iterable[Row]) -> int:
    return sum(1 for row in rows for cell in row.cells if cell.verdict == "gap")
