"""One `seawall detect` run: rules + baselines + drift over event files, then a report."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import msgspec

from seawall.detect.alerts import (
    SCHEMA,
    Deduper,
    check_webhook_url,
    post_webhook,
    to_finding,
    to_ocsf,
    webhook_display,
)
from seawall.detect.anomaly import Enforcer, Learner, Profiles, parse_duration
from seawall.detect.drift import DriftDetector, load_image_files
from seawall.detect.engine import Alert, Engine, StreamResult
from seawall.detect.falco.rules import RuleProblem, RuleSet, load_rules_files
from seawall.detect.plugins import check_plugin_requirements
from seawall.detect.sources import SOURCE_MODULES, get_source, k8saudit
from seawall.errors import InputError
from seawall.model import Finding
from seawall.progress import progress_bar, report_error, warn
from seawall.report.output import to_json, write_output

if TYPE_CHECKING:  # rich is imported where something is drawn or printed
    from rich.progress import Progress

Opener = Callable[[Path], AbstractContextManager[IO[bytes]]]


WEBHOOK_GIVE_UP = 3  # alerts in a row that could not be delivered, each after its retries


@dataclass
class DetectOptions:
    source: str
    rules: list[Path] = field(default_factory=list)
    rule_matching: str = "first"
    strict: bool = False
    baseline: str | None = None
    profile: Path | None = None
    learn_for: str | None = None
    image_files: Path | None = None
    dedupe: str | None = None
    webhook: str | None = None
    cluster: str | None = None


@dataclass
class DetectReport:
    source: str
    rules_files: list[str]
    rules_loaded: int
    findings: list[Finding]
    events: int
    bad_lines: list[dict[str, Any]]
    rule_errors: list[RuleProblem]
    suppressed: int
    baseline: dict[str, Any] | None = None
    webhook_failures: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "source": self.source,
            "rules_files": self.rules_files,
            "summary": {
                "events": self.events,
                "alerts": len(self.findings),
                "bad_lines": len(self.bad_lines),
                "suppressed": self.suppressed,
                "rules_loaded": self.rules_loaded,
                "rule_errors": len(self.rule_errors),
            },
            "findings": self.findings,
            "bad_lines": self.bad_lines,
            "rule_errors": [
                {"file": p.file, "line": p.line, "rule": p.name, "message": p.message}
                for p in self.rule_errors
            ],
            "baseline": self.baseline,
            "errors": self.errors,
        }


# what a rule problem means for the run, by RuleProblem.kind
_CONSEQUENCE = {"rule": "rule disabled", "macro": "unused", "item": "ignored"}


def check_source(name: str) -> None:
    if name not in SOURCE_MODULES:
        raise InputError(
            f"unknown event source {name!r} (expected one of: {', '.join(SOURCE_MODULES)})"
        )


def build_engine(
    source: str,
    rules: list[Path],
    rule_matching: str,
    strict: bool,
    cluster: str | None = None,
    *,
    serve: bool = False,
) -> tuple[Engine, RuleSet]:
    """The engine for `--source source` (`serve`: for `seawall detect serve`, which has no
    --source option; messages say so)."""
    check_source(source)
    if cluster is not None and source != "k8saudit":
        raise InputError(f"--cluster names the cluster of k8saudit events, not of {source} events")
    ruleset = load_rules_files(rules)
    # one line, before any warning
    check_plugin_requirements(ruleset, get_source(source), source, serve=serve)
    for warning in ruleset.warnings:
        warn(str(warning))
    falco_source = get_source(source).falco_source
    others = sorted({r.source for r in ruleset.rules.values() if r.source != falco_source})
    if others:
        count = sum(1 for r in ruleset.rules.values() if r.source != falco_source)
        chosen = "seawall detect serve reads k8saudit events" if serve else f"--source {source}"
        warn(
            f"{count} rule(s) are for source {', '.join(others)}, not {falco_source} "
            f"({chosen}); they are not used"
        )
    event_source = get_source(source)
    asset_of = None
    if cluster is not None:
        event_source = k8saudit.for_cluster(cluster)
        asset_of = functools.partial(k8saudit.asset_of, cluster=cluster)
    engine = Engine(
        ruleset,
        event_source,
        rule_matching=rule_matching,
        strict=strict,
        on_problem=lambda p: warn(f"{p} ({_CONSEQUENCE.get(p.kind, 'ignored')})"),
        asset_of=asset_of,
    )
    return engine, ruleset


def _position(stream: IO[bytes]) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0


def _evaluate_file(
    engine: Engine,
    stream: IO[bytes],
    path: Path,
    result: StreamResult,
    alerts: list[Alert],
    bar: Progress,
    deduper: Deduper,
    drift: DriftDetector | None,
    enforcer: Enforcer | None,
    learner: Learner | None,
) -> None:
    """Evaluate one event file (rules, drift, baselines), showing progress by bytes read."""
    plain = str(path) != "-" and stream.seekable()
    size = path.stat().st_size if plain else None  # a plain file: the total is known
    task = bar.add_task(str(path), total=size)
    asset_of = engine._asset_of
    time_of = engine.source.time_of
    source = engine.source.name
    for count, (line, event) in enumerate(engine.events(stream, str(path), result), 1):
        found = engine.evaluate(event, input=str(path), line=line)
        if drift is not None or enforcer is not None or learner is not None:
            time = time_of(event)
            asset = asset_of(event)
            if drift is not None:
                found += drift.check(source, event, time, asset, str(path), line)
            if enforcer is not None:
                found += enforcer.check(event, time, asset, str(path), line)
            if learner is not None:
                learner.learn(event, time)
        alerts.extend(a for a in found if deduper.admit(a))
        if not count & 0x3FFF:
            bar.update(task, completed=_position(stream))
    bar.update(task, completed=size if size is not None else _position(stream))


def run_detect(options: DetectOptions, files: list[Path], opener: Opener) -> DetectReport:
    """Run rules, drift and baselines over `files`; bad lines are counted, never fatal."""
    engine, _ = build_engine(
        options.source, options.rules, options.rule_matching, options.strict, options.cluster
    )
    try:
        window = parse_duration(options.dedupe) if options.dedupe else 0.0
        learn_window = parse_duration(options.learn_for) if options.learn_for else None
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if options.webhook:
        check_webhook_url(options.webhook, "--webhook")
    deduper = Deduper(window)
    drift = DriftDetector(*load_image_files(options.image_files)) if options.image_files else None
    learner = enforcer = None
    if options.baseline == "learn":
        learner = Learner(options.source, learn_window)
    elif options.baseline == "enforce" and options.profile is not None:
        if not options.profile.exists():
            raise InputError(f"{options.profile}: profile does not exist (run --baseline learn)")
        enforcer = Enforcer(options.source, Profiles.load(options.profile), str(options.profile))
    result = StreamResult()
    alerts: list[Alert] = []
    errors: list[dict[str, str]] = []
    with progress_bar(bytes_mode=True) as bar:
        for path in files:
            try:
                with opener(path) as stream:
                    _evaluate_file(
                        engine, stream, path, result, alerts, bar, deduper, drift, enforcer, learner
                    )
            except (InputError, OSError) as exc:  # one unreadable file: report it, go on
                reason = _reason(path, exc)
                errors.append({"input": str(path), "reason": reason})
                report_error(f"{path}: {reason}")
    if errors and len(errors) == len(files):  # nothing was read: nothing to report or learn
        return _unread_report(options, engine, errors)
    if result.events == 0 and result.bad_lines:
        name, first = result.bad_lines[0]
        raise InputError(
            f"{name}:{first.line}: not a {options.source} event stream ({first.reason})"
        )
    for name, bad in result.bad_lines:
        warn(f"{name}:{bad.line}: skipped ({bad.reason})")
    baseline_doc = None
    if learner is not None and options.profile is not None:
        saved = learner.save(options.profile)
        baseline_doc = {
            "mode": "learn",
            "profile": str(options.profile),
            "version": saved.version,
            "workloads": len(saved.workloads),
            "events_learned": learner.learned,
            "events_after_window": learner.ignored,
        }
    elif enforcer is not None:
        baseline_doc = {
            "mode": "enforce",
            "profile": str(options.profile),
            "version": enforcer.profiles.version,
            "workloads": len(enforcer.profiles.workloads),
        }
    findings = [
        to_finding(
            a,
            {"baseline": a.event["_seawall_baseline"]} if "_seawall_baseline" in a.event else None,
        )
        for a in alerts
    ]
    failures = 0
    if options.webhook:
        in_a_row = 0
        for finding in findings:
            if in_a_row >= WEBHOOK_GIVE_UP:  # the receiver is down: don't retry every alert
                failures += 1
                continue
            if post_webhook(options.webhook, msgspec.json.encode(finding)):
                in_a_row = 0
            else:
                failures += 1
                in_a_row += 1
        if failures:
            warn(
                f"{failures} alert(s) could not be delivered to {webhook_display(options.webhook)}"
            )
    return DetectReport(
        source=options.source,
        rules_files=[str(p) for p in options.rules],
        rules_loaded=engine.rule_count,
        findings=findings,
        events=result.events,
        bad_lines=[{"input": n, "line": b.line, "reason": b.reason} for n, b in result.bad_lines],
        rule_errors=engine.problems,
        suppressed=deduper.total_suppressed,
        baseline=baseline_doc,
        webhook_failures=failures,
        errors=errors,
    )


def _reason(path: Path, exc: Exception) -> str:
    """The message of an input error without its leading `<file>: `."""
    if isinstance(exc, OSError) and not isinstance(exc, InputError):
        return f"cannot read event file ({exc.strerror or exc})"
    message = str(exc)
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _unread_report(
    options: DetectOptions, engine: Engine, errors: list[dict[str, str]]
) -> DetectReport:
    return DetectReport(
        source=options.source,
        rules_files=[str(p) for p in options.rules],
        rules_loaded=engine.rule_count,
        findings=[],
        events=0,
        bad_lines=[],
        rule_errors=engine.problems,
        suppressed=0,
        errors=errors,
    )


def render_table(report: DetectReport) -> str:
    from rich.console import Console
    from rich.table import Table

    from seawall.progress import cell

    buffer = io.StringIO()
    console = Console(file=buffer, width=200, no_color=True, soft_wrap=False)
    table = Table(title=f"seawall detect ({report.source})", show_lines=False)
    for column in ("TIME", "PRIORITY", "RULE", "ASSET", "OUTPUT"):
        table.add_column(column, overflow="fold")
    for finding in report.findings:
        d = finding.details
        table.add_row(  # alert outputs quote event fields: shown as typed
            cell(d.get("time") or ""),
            cell(d["priority"]),
            cell(finding.rule),
            cell(finding.asset),
            cell(finding.evidence),
        )
    console.print(table)
    summary = (
        f"{report.events} events, {len(report.findings)} alerts, "
        f"{len(report.bad_lines)} bad lines, {report.suppressed} suppressed, "
        f"{report.rules_loaded} rules ({len(report.rule_errors)} with errors)"
    )
    if report.errors:
        summary += f", {len(report.errors)} unreadable file(s)"
    console.print(summary)
    return buffer.getvalue()


def render(report: DetectReport, format: str, output: Path | None) -> None:
    if format == "json":
        write_output(to_json(report.document()), output)
    elif format == "jsonl":
        write_output(b"".join(to_json(f, indent=0) for f in report.findings), output)
    elif format == "ocsf":
        write_output(b"".join(to_json(to_ocsf(f), indent=0) for f in report.findings), output)
    else:
        write_output(render_table(report), output)
