"""The command line's shared behaviour: version, usage errors, exit codes."""

from __future__ import annotations

from seawall_testlib import run_seawall

from seawall.cliopts import ExitCode, exit_code_for
from seawall.model import Finding, Layer, Severity, Suppression, Task


def test_version_prints_and_exits_zero() -> None:
    result = run_seawall("--version")
    assert result.returncode == 0
    assert result.stdout.startswith(b"seawall ")


def test_unknown_verb_is_a_usage_error() -> None:
    assert run_seawall("no-such-verb").returncode == 2


def _finding(severity: Severity, suppressed: bool = False) -> Finding:
    return Finding(
        type="vulnerability",
        rule="CVE-2021-44228",
        title="log4shell",
        severity=severity,
        asset="docker-archive:app.tar",
        layer=Layer.APPLICATION,
        task=Task.VULNERABILITY_MANAGEMENT,
        suppressed=Suppression(kind="vex", reason="not_affected") if suppressed else None,
    )


def test_fail_on_counts_only_unsuppressed_findings_at_or_above_threshold() -> None:
    assert exit_code_for([_finding(Severity.HIGH)], Severity.HIGH) == ExitCode.FINDINGS
    assert exit_code_for([_finding(Severity.MEDIUM)], Severity.HIGH) == ExitCode.OK
    assert exit_code_for([_finding(Severity.CRITICAL, True)], Severity.LOW) == ExitCode.OK
    assert exit_code_for([_finding(Severity.CRITICAL)], None) == ExitCode.OK


def test_severity_parse_accepts_vendor_spellings() -> None:
    assert Severity.parse("Moderate") is Severity.MEDIUM
    assert Severity.parse("CRITICAL") is Severity.CRITICAL
    assert Severity.LOW.rank < Severity.MEDIUM.rank < Severity.HIGH.rank
