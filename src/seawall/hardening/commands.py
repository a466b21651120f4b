"""`seawall harden`: hardening checks for Kubernetes, Dockerfiles, Terraform and cloud
inventory records, with the organisation's policy."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from seawall.cliopts import (
    FailOnOpt,
    OutputOpt,
    check_format,
    exit_code_for,
    parse_severity_option,
)
from seawall.progress import cell

FORMATS = ("table", "json", "sarif")


def register(app: typer.Typer) -> None:
    app.command("harden")(harden_command)


def harden_command(
    targets: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Directories, Kubernetes YAML/JSON, Dockerfiles, Terraform plan/state JSON, "
            ".tf directories, or a seawall inventory.json.",
            show_default=False,
        ),
    ] = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Organisation policy YAML.")
    ] = None,
    pss_version: Annotated[
        str,
        typer.Option("--pss-version", help="Pod Security Standards version, e.g. 1.31."),
    ] = "latest",
    list_rules: Annotated[
        bool, typer.Option("--list-rules", help="Print the rules and their mappings.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or sarif.")] = "table",
    output: OutputOpt = None,
    fail_on: FailOnOpt = None,
) -> None:
    """Check configuration against hardening rules (PSS, CIS, cloud services, your policy)."""
    from seawall.errors import InputError
    from seawall.hardening.rules.pss import parse_pss_version
    from seawall.report.output import write_output

    check_format(fmt, FORMATS if not list_rules else ("table", "json"))
    threshold = parse_severity_option(fail_on)
    try:
        version = parse_pss_version(pss_version)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--pss-version") from None
    loaded_policy = None
    if policy is not None:
        from seawall.hardening.policy import load_policy

        loaded_policy = load_policy(policy)
    if list_rules:
        write_output(_render_rules(fmt, loaded_policy), output)
        return
    if not targets:
        raise InputError("no targets given (a directory, manifest, Dockerfile, plan or inventory)")
    from seawall.hardening.scan import harden

    if sys.stderr.isatty():  # rich costs an import: only when someone can see the bar
        from seawall.progress import progress_bar

        with progress_bar() as progress:
            task = progress.add_task("reading", total=None)
            report = harden(
                targets,
                policy=loaded_policy,
                pss_version=version,
                on_file=lambda path: progress.update(
                    task, advance=1, description=f"reading {path.name}"
                ),
            )
    else:
        report = harden(targets, policy=loaded_policy, pss_version=version)
    _print_errors(report.errors)
    _print_warnings(report.warnings)
    if report.errors and not report.sources:
        raise typer.Exit(2)  # no target was usable: nothing to report, nothing written
    write_output(render(report, fmt), output)
    if report.errors:
        raise typer.Exit(2)  # an unusable target outranks --fail-on
    raise typer.Exit(int(exit_code_for(report.findings, threshold)))


def _one_line(text: str) -> str:
    """`text` with control characters escaped, so a hostile file name stays on one line."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _print_errors(errors: list[dict[str, str]]) -> None:
    """One `seawall: error: <path>: <reason>` line per unusable target on stderr."""
    if errors:
        sys.stderr.write(
            "".join(f"seawall: error: {_one_line(e['path'])}: {e['reason']}\n" for e in errors)
        )
        sys.stderr.flush()


def _print_warnings(messages: list[str]) -> None:
    """One line per skipped input on stderr (rich only on a terminal: it costs an import)."""
    if not messages:
        return
    if sys.stderr.isatty():
        from seawall.progress import warn

        for message in messages:
            warn(message)
        return
    sys.stderr.write("".join(f"warning: {m}\n" for m in messages))
    sys.stderr.flush()


def _render_rules(fmt: str, policy: Any) -> str:
    from seawall.hardening.engine import builtin_rules

    rules = builtin_rules()
    active = policy.apply_to_rules(rules) if policy else list(rules.values())
    if fmt == "json":
        from seawall.report.output import to_json

        described = []
        for r in active:
            item = r.describe()
            item["enabled"] = r.enabled
            described.append(item)
        return to_json({"schema": "seawall.harden-rules/v1", "rules": described}).decode()
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(active)} hardening rules", show_lines=False)
    for column in ("rule", "severity", "targets", "title", "mappings"):
        table.add_column(column, overflow="fold")
    for r in active:
        mappings = "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(r.mappings.items()) if v)
        table.add_row(  # custom rules' titles come from the policy file
            cell(r.id + ("" if r.enabled else " (disabled)")),
            r.severity.value,
            cell(", ".join(r.targets) if not r.custom else "custom"),
            cell(r.title),
            cell(mappings),
        )
    import io

    buffer = io.StringIO()
    Console(file=buffer, width=200, no_color=True).print(table)
    return buffer.getvalue()


def render(report: Any, fmt: str) -> str | bytes:
    """The report as table text, or JSON (seawall.harden/v1) or SARIF as UTF-8 bytes
    (written as they are: decoding megabytes only to encode them again costs)."""
    from seawall.report.output import to_json

    if fmt == "json":
        return to_json(document(report))
    if fmt == "sarif":
        from seawall.report.sarif import render_sarif

        sarif = render_sarif(report.findings, host_paths=True)
        if report.errors:
            sarif["runs"][0]["invocations"] = [_sarif_invocation(report.errors)]
        return to_json(sarif)
    return _table(report)


def _uri(path: str) -> str:
    from urllib.parse import quote

    return Path(path).as_uri() if Path(path).is_absolute() else quote(Path(path).as_posix())


def _sarif_invocation(errors: list[dict[str, str]]) -> dict[str, Any]:
    """A SARIF invocation naming each unusable target in a toolExecutionNotification."""
    return {
        "executionSuccessful": False,
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {"text": f"{e['path']}: {e['reason']}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(e["path"])}}}],
            }
            for e in errors
        ],
    }


def document(report: Any) -> dict[str, Any]:
    by_severity: dict[str, int] = {}
    suppressed = 0
    for f in report.findings:
        if f.suppressed is not None:
            suppressed += 1
            continue
        by_severity[f.severity.value] = by_severity.get(f.severity.value, 0) + 1
    return {
        "schema": "seawall.harden/v1",
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "pss_version": f"{report.pss_version[0]}.{report.pss_version[1]}",
        "policy": report.policy,
        "sources": report.sources,
        "summary": {
            "files": report.stats.files,
            "objects": report.stats.objects,
            "targets": report.stats.targets,
            "skipped": report.stats.skipped,
            "findings": len(report.findings) - suppressed,
            "suppressed": suppressed,
            "by_severity": by_severity,
        },
        "findings": report.findings,
        "warnings": report.warnings,
        "errors": report.errors,
        "expired_exceptions": report.expired_exceptions,
        "checked_assets": report.checked_assets,
    }


def _table(report: Any) -> str:
    import io

    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    for column in ("severity", "rule", "asset", "location", "evidence"):
        table.add_column(column, overflow="fold")
    shown = 0
    for f in report.findings:
        if f.suppressed is not None:
            continue
        shown += 1
        loc = f.location
        where = ""
        if loc is not None:
            where = f"{loc.path}:{loc.line}" if loc.line else loc.path
            if loc.field:
                where += f" {loc.field}"
        table.add_row(f.severity.value, cell(f.rule), cell(f.asset), cell(where), cell(f.evidence))
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, no_color=True)
    console.print(table)
    suppressed = len(report.findings) - shown
    stats = report.stats
    console.print(
        f"{shown} findings ({suppressed} suppressed) in {stats.files} files, "
        f"{stats.objects} objects; {stats.skipped} skipped"
    )
    return buffer.getvalue()
