"""CLI verbs `seawall inventory` and `seawall coverage`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from seawall.cliopts import (
    ExitCode,
    FailOnOpt,
    OutputOpt,
    check_format,
    exit_code_for,
    parse_severity_option,
)
from seawall.errors import InputError
from seawall.report.output import to_json, write_output

if TYPE_CHECKING:
    from seawall.inventory.build import Inventory


def warn(message: str) -> None:
    """seawall.progress.warn, importing rich only when there is a warning to print."""
    from seawall.progress import warn as rich_warn

    rich_warn(message)


INVENTORY_FORMATS = ("table", "json")
COVERAGE_FORMATS = ("table", "json", "html", "sarif")

CatalogOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalog",
        help="Extra service catalog YAML (repeatable; also SEAWALL_CATALOG).",
    ),
]


def _live_options(
    aws: bool, azure: bool, gcp: bool, kube_context: str | None, aws_profile: str | None
) -> dict[str, object]:
    return {
        "aws": aws,
        "azure": azure,
        "gcp": gcp,
        "kube_context": kube_context,
        "aws_profile": aws_profile,
    }


def split_scan_documents(inputs: list[Path]) -> tuple[list[Path], list[Path]]:
    """Separate seawall image/harden result files (scan evidence) from inventory sources."""
    from seawall.coverage import is_scan_document

    sources: list[Path] = []
    scans: list[Path] = []
    for path in inputs:
        head = b""
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                head = handle.read(4096)
        (scans if head and is_scan_document(path, head) else sources).append(path)
    return sources, scans


def require_readable_input(inventory: Inventory, paths: list[Path], live: bool) -> None:
    """InputError when files were given but not one of them could be read (and nothing is
    collected live): an empty report would look like a clean estate."""
    if not paths or live or inventory.sources:
        return
    reasons = inventory.warnings or [f"{p}: nothing to read" for p in paths]
    more = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
    raise InputError("no input could be read: " + "; ".join(reasons[:3]) + more)


def register(app: typer.Typer) -> None:
    @app.command("inventory")
    def inventory_cmd(
        sources: Annotated[
            list[Path] | None,
            typer.Argument(
                help="Files or directories: Terraform plan/state/HCL, Kubernetes manifests, "
                "kubectl dumps, AWS Config, Azure Resource Graph, GCP asset exports."
            ),
        ] = None,
        aws: Annotated[bool, typer.Option("--aws", help="Collect live from AWS.")] = False,
        azure: Annotated[bool, typer.Option("--azure", help="Collect live from Azure.")] = False,
        gcp: Annotated[bool, typer.Option("--gcp", help="Collect live from GCP.")] = False,
        kube_context: Annotated[
            str | None,
            typer.Option("--kube-context", help="Collect live from this kubeconfig context."),
        ] = None,
        aws_profile: Annotated[
            str | None, typer.Option("--aws-profile", help="AWS profile for --aws.")
        ] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
        output: OutputOpt = None,
    ) -> None:
        """Find where containers run: every container workload, cluster and registry."""
        from seawall.inventory.build import build_inventory
        from seawall.inventory.render import inventory_table

        check_format(fmt, INVENTORY_FORMATS)
        live = _live_options(aws, azure, gcp, kube_context, aws_profile)
        if not sources and not any(live[k] for k in ("aws", "azure", "gcp", "kube_context")):
            raise typer.BadParameter(
                "give SOURCES or a live option (--aws, --azure, --gcp, --kube-context)",
                param_hint="SOURCES",
            )
        inventory = build_inventory(list(sources or []), live)
        wants_live = any(live[k] for k in ("aws", "azure", "gcp", "kube_context"))
        require_readable_input(inventory, list(sources or []), wants_live)
        for message in inventory.warnings:
            warn(message)
        if fmt == "json":
            write_output(to_json(inventory), output)
        else:
            write_output(inventory_table(inventory), output)

    @app.command("coverage")
    def coverage_cmd(
        inputs: Annotated[
            list[Path],
            typer.Argument(
                help="inventory.json documents and/or raw sources (files, dirs); "
                "seawall image/harden JSON results mark the cells seawall scanned."
            ),
        ],
        catalog_files: CatalogOpt = None,
        fmt: Annotated[
            str, typer.Option("--format", "-f", help="table, json, html or sarif.")
        ] = "table",
        output: OutputOpt = None,
        fail_on: FailOnOpt = None,
    ) -> None:
        """Show who is responsible for each layer x task and whether a control covers it."""
        from seawall.coverage import build_coverage, read_scan_evidence
        from seawall.inventory.build import build_inventory
        from seawall.inventory.catalog import load_catalog
        from seawall.inventory.render import coverage_html, coverage_sarif, coverage_table

        check_format(fmt, COVERAGE_FORMATS)
        threshold = parse_severity_option(fail_on)
        catalog = load_catalog(catalog_files or [])
        sources, scan_documents = split_scan_documents(inputs)
        if not sources:
            raise InputError(
                "only seawall scan results given: add inventory.json or the sources "
                "(Terraform, manifests, provider exports) whose coverage they prove"
            )
        scans = read_scan_evidence(scan_documents)
        inventory = build_inventory(sources, {})
        require_readable_input(inventory, sources, False)
        report = build_coverage(inventory, catalog, scans)
        for message in report.warnings:
            warn(message)
        rendered: str | bytes
        if fmt == "json":
            rendered = to_json(report)
        elif fmt == "html":
            rendered = coverage_html(report)
        elif fmt == "sarif":
            rendered = coverage_sarif(report)
        else:
            rendered = coverage_table(report)
        write_output(rendered, output)
        code = exit_code_for(report.findings, threshold)
        if code != ExitCode.OK:
            raise typer.Exit(int(code))
