"""The `seawall image` pipeline: packages (image or SBOM) -> findings -> suppressions -> output."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seawall.cliopts import ExitCode, check_format, exit_code_for, parse_severity_option
from seawall.errors import InputError
from seawall.model import Package, Severity
from seawall.progress import warn
from seawall.report.output import to_json, write_output
from seawall.vulns.report import FORMATS, ImageReport

DB_MAX_AGE = dt.timedelta(days=7)
IGNORE_FILE_NAME = ".seawallignore"
MAX_WARNINGS_SHOWN = 20


@dataclass(slots=True)
class ImageScanOptions:
    target: str | None
    sbom: Path | None = None
    db: Path | None = None
    platform: str | None = None
    format: str = "table"
    output: Path | None = None
    fail_on: str | None = None
    severity: list[str] = field(default_factory=list)
    ignore_file: Path | None = None
    vex: list[Path] = field(default_factory=list)
    ignore_unfixed: bool = False
    use_cache: bool = True
    now: dt.datetime | None = None


def parse_severities(values: list[str]) -> set[Severity] | None:
    """`--severity high --severity critical` or `--severity high,critical`."""
    chosen: set[Severity] = set()
    for value in values:
        for part in value.split(","):
            if part.strip():
                sev = parse_severity_option(part, "--severity")
                assert sev is not None
                chosen.add(sev)
    return chosen or None


def default_db_path() -> Path:
    """$SEAWALL_DB, else the database module's default, else the user cache dir."""
    env = os.environ.get("SEAWALL_DB")
    if env:
        return Path(env)
    try:
        dbmod = importlib.import_module("seawall.vulns.db")
    except ModuleNotFoundError:
        dbmod = None
    for name in ("default_db_path", "default_path"):
        fn = getattr(dbmod, name, None)
        if callable(fn):
            return Path(fn())
    import platformdirs

    return Path(platformdirs.user_cache_dir("seawall")) / "advisories.db"


def open_advisory_db(path: Path) -> Any:
    """Open the advisory database, or fail with a one-line hint when there is none."""
    if not path.is_file():
        raise InputError(
            f"no advisory database at {path}: run `seawall db update` (online) or "
            "`seawall db import FILE...`, or point --db / SEAWALL_DB at one"
        )
    try:
        dbmod = importlib.import_module("seawall.vulns.db")
    except ModuleNotFoundError:
        raise InputError("this build of seawall has no advisory database support") from None
    return dbmod.AdvisoryDB.open(path)


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def database_info(adb: Any, path: Path, now: dt.datetime) -> dict[str, Any]:
    """Path, build time and age of the database, from its `status()`."""
    built_at = getattr(adb, "built_at", None)
    if callable(built_at):  # one indexed read, not the full status
        built = _as_datetime(built_at())
    else:
        status: Any = adb.status() if hasattr(adb, "status") else {}
        raw = status.get("built_at") if isinstance(status, dict) else status.built_at
        built = _as_datetime(raw)
    age = (now - built).total_seconds() / 86400 if built else None
    return {
        "path": str(path),
        "built": built.strftime("%Y-%m-%dT%H:%M:%SZ") if built else None,
        "age_days": round(age, 2) if age is not None else None,
    }


def _load_suppressions(options: ImageScanOptions, today: dt.date) -> Any:
    from seawall.vulns.suppress import Suppressions, load_ignore_file, load_vex, merge

    parts: list[Suppressions] = []
    ignore = options.ignore_file
    if ignore is None and Path(IGNORE_FILE_NAME).is_file():
        ignore = Path(IGNORE_FILE_NAME)
    if ignore is not None:
        parts.append(load_ignore_file(ignore, today=today))
    for path in options.vex:
        parts.append(load_vex(path))
    return merge(*parts)


def _packages_from_target(
    options: ImageScanOptions,
) -> tuple[dict[str, Any], list[Package], list[str]]:
    if options.sbom is not None:
        from seawall.vulns.sbom_input import read_sbom

        contents = read_sbom(options.sbom)
        target: dict[str, Any] = {
            "ref": str(options.sbom),
            "kind": "sbom",
            "sbom_format": contents.format,
            "name": contents.name,
            "digest": None,
            "os": contents.os,
            "platform": None,
            "layers": [],
        }
        warnings = []
        if contents.skipped:
            warnings.append(
                f"{options.sbom}: {contents.skipped} components without a usable purl were "
                "not matched"
            )
        return target, contents.packages, warnings
    from seawall.images.scan import catalog_image
    from seawall.progress import progress_bar

    assert options.target is not None
    with progress_bar(bytes_mode=True) as bar:
        task = bar.add_task("reading layers", total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        catalog = catalog_image(
            options.target,
            platform=options.platform,
            use_cache=options.use_cache,
            on_progress=on_progress,
        )
    os_text = None
    if catalog.os is not None:
        os_text = f"{catalog.os.id} {catalog.os.version_id}".strip()
    target = {
        "ref": str(catalog.ref),
        "kind": "image",
        "digest": catalog.digest or None,
        "os": os_text,
        "ecosystem": catalog.os.ecosystem if catalog.os is not None else None,
        "platform": catalog.platform or None,
        "layers": catalog.layers,
    }
    return target, catalog.packages, list(catalog.warnings)


def run_image_scan(
    options: ImageScanOptions,
    *,
    version_key: Callable[[str], Callable[[str], Any]] | None = None,
) -> ExitCode:
    """Run one scan and write its output; return the exit code (0 or 1)."""
    if (options.target is None) == (options.sbom is None):
        raise InputError("give either an IMAGE or --sbom FILE (exactly one)")
    check_format(options.format, FORMATS)
    fail_on = parse_severity_option(options.fail_on)
    severities = parse_severities(options.severity)
    now = options.now or dt.datetime.now(dt.UTC)
    suppressions = _load_suppressions(options, now.date())
    db_path = options.db or default_db_path()
    adb = open_advisory_db(db_path)
    try:
        return _scan_with(
            options, adb, db_path, now, suppressions, fail_on, severities, version_key
        )
    finally:
        close = getattr(adb, "close", None)
        if callable(close):
            close()


def _scan_with(
    options: ImageScanOptions,
    adb: Any,
    db_path: Path,
    now: dt.datetime,
    suppressions: Any,
    fail_on: Severity | None,
    severities: set[Severity] | None,
    version_key: Callable[[str], Callable[[str], Any]] | None,
) -> ExitCode:
    from seawall.vulns.match import MatchStats, default_version_key, match_packages
    from seawall.vulns.report import (
        filter_findings,
        render_cyclonedx,
        render_json,
        render_sarif,
        render_table,
    )
    from seawall.vulns.suppress import apply_suppressions

    info = database_info(adb, db_path, now)
    warnings: list[str] = list(suppressions.warnings)
    if info["age_days"] is not None and info["age_days"] > DB_MAX_AGE.days:
        warnings.append(
            f"the advisory database is {int(info['age_days'])} days old (built {info['built']}); "
            "run `seawall db update`"
        )
    target, packages, catalog_warnings = _packages_from_target(options)
    warnings.extend(catalog_warnings)
    stats = MatchStats()
    findings = match_packages(
        packages,
        adb,
        asset=str(target["ref"]),
        version_key=version_key or default_version_key,
        stats=stats,
    )
    findings = apply_suppressions(findings, suppressions)
    findings, dropped = filter_findings(
        findings, severities=severities, ignore_unfixed=options.ignore_unfixed
    )
    for message in warnings[:MAX_WARNINGS_SHOWN]:
        warn(message)
    if len(warnings) > MAX_WARNINGS_SHOWN:
        warn(f"{len(warnings) - MAX_WARNINGS_SHOWN} more warnings (see the JSON output)")
    report = ImageReport(
        target=target,
        packages=packages,
        findings=findings,
        database=info,
        warnings=warnings,
        filtered=dropped,
        matching={
            "os_owned_skipped": stats.os_owned_skipped,
            "not_affected": stats.not_affected,
            "unversioned": stats.unversioned,
            "incomparable": stats.incomparable,
        },
    )
    data: str | bytes
    if options.format == "json":
        data = to_json(render_json(report))
    elif options.format == "sarif":
        data = to_json(render_sarif(report))
    elif options.format == "cyclonedx":
        data = to_json(render_cyclonedx(report, now=now))
    else:
        color = options.output is None and sys.stdout.isatty()
        width = int(os.environ.get("COLUMNS", "160") or 160)
        data = render_table(report, color=color, width=max(80, min(width, 250)))
    write_output(data, options.output)
    return exit_code_for(findings, fail_on)
