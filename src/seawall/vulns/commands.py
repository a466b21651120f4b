"""`seawall image` (match an image or SBOM against the advisory database) and `seawall db`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seawall.cliopts import FailOnOpt, OutputOpt


def register(app: typer.Typer) -> None:
    _register_db(app)
    _register_image(app)


def _register_db(app: typer.Typer) -> None:
    """`seawall db ...` lives with the advisory database (branch vulns-db)."""


def _register_image(app: typer.Typer) -> None:
    @app.command("image")
    def image(
        target: Annotated[
            str | None,
            typer.Argument(
                metavar="[IMAGE]",
                help="docker-archive:FILE, oci-layout:DIR[:TAG], oci-archive:FILE, dir:ROOT "
                "or a registry reference.",
            ),
        ] = None,
        sbom: Annotated[
            Path | None,
            typer.Option("--sbom", help="Match this CycloneDX or SPDX 2.3 JSON SBOM instead."),
        ] = None,
        db: Annotated[
            Path | None,
            typer.Option("--db", help="Advisory database file (default: $SEAWALL_DB or cache)."),
        ] = None,
        platform: Annotated[
            str | None, typer.Option("--platform", help="os/arch[/variant] of a multi-arch image.")
        ] = None,
        format: Annotated[
            str, typer.Option("--format", "-f", help="table, json, sarif or cyclonedx.")
        ] = "table",
        output: OutputOpt = None,
        fail_on: FailOnOpt = None,
        severity: Annotated[
            list[str] | None,
            typer.Option(
                "--severity",
                help="Only report these severities (repeatable or comma list).",
            ),
        ] = None,
        ignore_file: Annotated[
            Path | None,
            typer.Option(
                "--ignore-file", help="Suppressions file (default: ./.seawallignore if present)."
            ),
        ] = None,
        vex: Annotated[
            list[Path] | None,
            typer.Option("--vex", help="OpenVEX or CycloneDX VEX document (repeatable)."),
        ] = None,
        ignore_unfixed: Annotated[
            bool, typer.Option("--ignore-unfixed", help="Leave out vulnerabilities with no fix.")
        ] = False,
        no_cache: Annotated[
            bool, typer.Option("--no-cache", help="Do not use or fill the layer cache.")
        ] = False,
    ) -> None:
        """Find known vulnerabilities in an image's packages (or in an SBOM)."""
        from seawall.vulns.image_scan import ImageScanOptions, run_image_scan

        code = run_image_scan(
            ImageScanOptions(
                target=target,
                sbom=sbom,
                db=db,
                platform=platform,
                format=format,
                output=output,
                fail_on=fail_on,
                severity=severity or [],
                ignore_file=ignore_file,
                vex=vex or [],
                ignore_unfixed=ignore_unfixed,
                use_cache=not no_cache,
            )
        )
        raise typer.Exit(int(code))
