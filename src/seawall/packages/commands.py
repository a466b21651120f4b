"""`seawall sbom`: catalogue an image and write its SBOM."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from seawall.cliopts import OutputOpt, check_format


def register(app: typer.Typer) -> None:
    @app.command("sbom")
    def sbom(
        image: Annotated[
            str,
            typer.Argument(
                help="docker-archive:FILE, oci-layout:DIR[:TAG], oci-archive:FILE[:TAG] "
                "or dir:PATH."
            ),
        ],
        fmt: Annotated[
            str,
            typer.Option("--format", "-f", help="table, json, cyclonedx (1.6) or spdx (2.3)."),
        ] = "table",
        output: OutputOpt = None,
        platform: Annotated[
            str | None,
            typer.Option(
                "--platform",
                help="os/arch or os/arch/variant: which image of a multi-platform index to read.",
            ),
        ] = None,
        no_cache: Annotated[
            bool, typer.Option("--no-cache", help="Ignore and do not fill the layer cache.")
        ] = False,
    ) -> None:
        """List the packages in an image (or root filesystem) as an SBOM."""
        from seawall.images.scan import catalog_image
        from seawall.packages.sbom import FORMATS, render
        from seawall.progress import progress_bar, warn
        from seawall.report.output import write_output

        check_format(fmt, FORMATS)
        with progress_bar(bytes_mode=True) as bar:
            task = bar.add_task("reading layers", total=None)

            def on_progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            catalog = catalog_image(
                image, platform=platform, use_cache=not no_cache, on_progress=on_progress
            )
        for message in catalog.warnings:
            warn(message)
        width = int(os.environ.get("COLUMNS", "160") or 160)
        if fmt == "table":
            from seawall.packages.sbom import to_table

            write_output(to_table(catalog, width=width), output)
        else:
            write_output(render(catalog, fmt), output)
