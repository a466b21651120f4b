"""Renderers for `seawall inventory` and `seawall coverage`: table, JSON, HTML, SARIF."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING

from seawall.coverage import CoverageReport, Row, gap_count
from seawall.inventory.build import Inventory
from seawall.model import Layer, Task
from seawall.progress import cell
from seawall.report.output import to_json
from seawall.report.sarif import render_sarif

if TYPE_CHECKING:  # rich and jinja2 are imported by the renderers that use them
    from rich.table import Table
    from rich.text import Text

TEMPLATES = Path(__file__).resolve().parent.parent / "report" / "html"
_LAYER_SHORT = {Layer.APPLICATION: "app", Layer.PLATFORM: "plat", Layer.INFRASTRUCTURE: "infra"}
_TASK_SHORT = {
    Task.HARDENING: "hard",
    Task.VULNERABILITY_MANAGEMENT: "vuln",
    Task.THREAT_DETECTION: "threat",
}
_PARTY_SHORT = {"customer": "C", "shared": "S", "provider": "P"}


def _render_console(table: Table, extra: list[Text]) -> str:
    from rich.console import Console

    console = Console(record=True, width=200, color_system=None, force_terminal=False)
    with console.capture() as capture:
        console.print(table)
        for line in extra:
            console.print(line)
    return capture.get()


def inventory_table(inventory: Inventory) -> str:
    """One row per asset: service, kind, name, account/region, images, exposure."""
    from rich.table import Table

    table = Table(title=f"seawall inventory: {len(inventory.assets)} assets", show_lines=False)
    for column in ("service", "kind", "name", "account", "region", "images", "public"):
        table.add_column(column, overflow="fold")
    for asset in inventory.assets:
        images = asset.properties.get("images") or []
        public = asset.properties.get("public")
        table.add_row(  # names and images come from the input: shown as typed
            cell(asset.service or asset.provider),
            cell(asset.kind),
            cell(asset.name),
            cell(asset.account or ""),
            cell(asset.region or ""),
            cell(", ".join(str(i) for i in images)),
            "" if public is None else ("yes" if public else "no"),
        )
    extra = [cell(f"warning: {w}") for w in inventory.warnings]
    return _render_console(table, extra)


def _cell_text(row: Row, index: int) -> str:
    cell = row.cells[index]
    party = _PARTY_SHORT[cell.party.value]
    if cell.verdict == "provider":
        return "P"
    if cell.coverage == "seawall-scan":
        return f"{party} seawall"
    if cell.verdict == "covered":
        return f"{party} ok"
    if cell.coverage == "native-partial":
        return f"{party} GAP(reg)"
    return f"{party} GAP" if cell.coverage != "native-off" else f"{party} GAP(off)"


def coverage_table(report: CoverageReport) -> str:
    """One row per container service instance with a cell per layer x task."""
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"seawall coverage: {len(report.rows)} instances, {gap_count(report.rows)} gaps"
    )
    table.add_column("service")
    table.add_column("name", overflow="fold")
    table.add_column("public")
    for layer in Layer:
        for task in Task:
            table.add_column(f"{_LAYER_SHORT[layer]}/{_TASK_SHORT[task]}")
    for row in report.rows:
        table.add_row(
            cell(row.service),
            cell(row.name),
            "yes" if row.public else "no",
            *(_cell_text(row, i) for i in range(len(row.cells))),
        )
    extra = [
        Text(
            "C customer, S shared, P provider; ok = a native control is active, "
            "seawall = covered by a seawall scan, GAP(off) = a control exists but is off, "
            "GAP(reg) = registry scanning is on but an image is in another registry"
        )
    ]
    extra += [cell(f"warning: {w}") for w in report.warnings]
    return _render_console(table, extra)


# What covers a cell, as the HTML heat-map spells it in each cell.
COVERAGE_LABELS = {
    "native-active": "native control active",
    "native-partial": "registry scan misses an image",
    "seawall-scan": "seawall scan",
    "native-off": "native control off",
    "native-unknown": "control state unknown",
    "none": "nothing covers it",
    "provider": "provider",
}


def coverage_html(report: CoverageReport) -> str:
    """A self-contained HTML page (heat-map); every value is autoescaped."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template("coverage.html.j2")
    grouped = [(k, list(g)) for k, g in itertools.groupby(report.rows, key=lambda r: r.service)]
    return template.render(
        report=report,
        rows=report.rows,
        grouped=grouped,
        gaps=gap_count(report.rows),
        layers=list(Layer),
        tasks=list(Task),
        labels=COVERAGE_LABELS,
    )


def coverage_sarif(report: CoverageReport) -> bytes:
    return to_json(render_sarif(report.findings, host_paths=True))
