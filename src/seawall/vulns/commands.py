"""CLI verbs of the vulnerability stage: `seawall db ...` (and `seawall image`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from seawall.cliopts import FailOnOpt, OutputOpt, check_format
from seawall.progress import progress_bar, stderr_console, warn
from seawall.report.output import to_json, write_output

if TYPE_CHECKING:
    from rich.progress import TaskID

DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Advisory database file (default: $SEAWALL_DB, else the user cache directory).",
    ),
]


def register(app: typer.Typer) -> None:
    _register_db(app)
    _register_image(app)


def _register_image(app: typer.Typer) -> None:
    @app.command("image")
    def image(
        target: Annotated[
            str | None,
            typer.Argument(
                metavar="IMAGE",
                help="docker-archive:FILE, oci-layout:DIR[:TAG], oci-archive:FILE or dir:ROOT.",
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
            str | None,
            typer.Option(
                "--platform", help="Platform of a multi-arch image: os/arch or os/arch/variant."
            ),
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


def _summary(results: list[object]) -> str:
    from seawall.vulns.db import ImportResult

    lines = []
    for result in results:
        assert isinstance(result, ImportResult)
        if result.source == "kev":
            line = f"kev: {result.kev} known exploited vulnerabilities"
        else:
            line = (
                f"{result.source}: {result.advisories} advisories, "
                f"{result.affected} affected packages"
            )
        if result.skipped:
            skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(result.skipped.items()))
            line += f" (skipped: {skipped})"
        lines.append(line)
    return "\n".join(lines)


FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table or json.")]


def _report_import(results: list[object], db_path: Path, fmt: str, output: Path | None) -> None:
    """The import summary: text lines, or `seawall.db-import/v1` JSON."""
    from seawall.vulns.db import ImportResult

    if fmt != "json":
        write_output(f"{_summary(results)}\ndatabase: {db_path}\n", output)
        return
    sources = []
    for result in results:
        assert isinstance(result, ImportResult)
        sources.append(
            {
                "source": result.source,
                "files": list(result.files),
                "advisories": result.advisories,
                "affected": result.affected,
                "known_exploited": result.kev,
                "skipped": dict(sorted(result.skipped.items())),
            }
        )
    document = {"schema": "seawall.db-import/v1", "database": str(db_path), "sources": sources}
    write_output(to_json(document), output)


def _register_db(app: typer.Typer) -> None:
    db_app = typer.Typer(
        name="db",
        help="The local advisory database: import, update, status.",
        no_args_is_help=True,
    )
    app.add_typer(db_app, name="db")

    @db_app.command("import")
    def db_import(
        files: Annotated[
            list[Path],
            typer.Argument(
                help="OSV records/directories/all.zip, Debian tracker JSON, Alpine secdb, "
                "CISA KEV JSON."
            ),
        ],
        db: DbOpt = None,
        fmt: FormatOpt = "table",
        output: OutputOpt = None,
    ) -> None:
        """Import advisory files into the database (one transaction)."""
        from seawall.vulns.db import resolve_db_path
        from seawall.vulns.importers import import_files

        check_format(fmt, ("table", "json"))
        with progress_bar() as bar:
            task = bar.add_task("importing", total=len(files))
            results = import_files(files, db, on_file=lambda _p: bar.advance(task))
        _report_import(list(results), resolve_db_path(db), fmt, output)

    @db_app.command("status")
    def db_status(
        db: DbOpt = None,
        fmt: FormatOpt = "table",
        output: OutputOpt = None,
    ) -> None:
        """Show the database's sources, record counts, build time and age."""
        from seawall.vulns.db import AdvisoryDB

        check_format(fmt, ("table", "json"))
        with AdvisoryDB.open(db) as adb:
            status = adb.status()
        if status.is_stale:
            warn(f"the advisory database is {status.age.days} days old: run `seawall db update`")
        if fmt == "json":
            document = {
                "schema": "seawall.db/v1",
                "path": status.path,
                "built_at": status.built_at,
                "age_seconds": round(status.age_seconds),
                "stale": status.is_stale,
                "advisories": status.advisories,
                "affected": status.affected,
                "known_exploited": status.known_exploited,
                "ecosystems": status.ecosystems,
                "sources": [
                    {
                        "name": s.name,
                        "records": s.records,
                        "imported_at": s.imported_at,
                        "files": list(s.files),
                    }
                    for s in status.sources
                ],
            }
            write_output(to_json(document), output)
            return
        hours = status.age_seconds / 3600
        age = f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"
        lines = [
            f"database:        {status.path}",
            f"built:           {status.built_at} ({age} ago)",
            f"advisories:      {status.advisories}",
            f"affected rows:   {status.affected}",
            f"known exploited: {status.known_exploited}",
            "sources:",
        ]
        for source in status.sources:
            lines.append(f"  {source.name:<16} {source.records:>8}  {source.imported_at}")
        lines.append("ecosystems:")
        for eco, count in status.ecosystems.items():
            lines.append(f"  {eco:<32} {count:>8}")
        write_output("\n".join(lines) + "\n", output)

    @db_app.command("update")
    def db_update(
        db: DbOpt = None,
        ecosystem: Annotated[
            list[str] | None,
            typer.Option(
                "--ecosystem",
                "-e",
                help="OSV ecosystem to fetch (repeatable; default: every ecosystem seawall "
                "catalogs). Debian and Alpine also fetch their distro feeds.",
            ),
        ] = None,
        feed_base: Annotated[
            str | None,
            typer.Option(
                "--feed-base",
                help="Fetch every feed under this base URL instead of the official "
                "locations (also $SEAWALL_FEED_BASE).",
            ),
        ] = None,
        fmt: FormatOpt = "table",
        output: OutputOpt = None,
    ) -> None:
        """Download the advisory feeds (resumable) and rebuild the database."""
        from seawall.vulns.db import resolve_db_path
        from seawall.vulns.importers import import_files
        from seawall.vulns.update import FeedMissing, download, plan_feeds

        check_format(fmt, ("table", "json"))
        db_path = resolve_db_path(db)
        feeds_dir = db_path.parent / "feeds"
        paths = []
        with progress_bar(bytes_mode=True) as bar:
            for feed in plan_feeds(ecosystem, feed_base):
                task = bar.add_task(feed.filename, total=None)

                def advance(done: int, total: int | None, task: TaskID = task) -> None:
                    bar.update(task, completed=done, total=total)

                try:
                    paths.append(download(feed, feeds_dir, advance))
                except FeedMissing as exc:
                    warn(f"skipped a feed the server does not have: {exc}")
                bar.remove_task(task)
        stderr_console().print(
            f"downloaded {len(paths)} feeds into {feeds_dir}", highlight=False, soft_wrap=True
        )
        with progress_bar() as bar:
            task = bar.add_task("importing", total=len(paths))
            results = import_files(paths, db_path, on_file=lambda _p: bar.advance(task))
        _report_import(list(results), db_path, fmt, output)
