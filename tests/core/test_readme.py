"""The README's Quick start is the contract with a new user: three lines, and they work."""

from __future__ import annotations

import re
import shlex

from seawall_testlib import REPO, run_seawall


def _quick_start() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block, "Quick start has no fenced block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_three_lines_and_ci_runs_the_test_line() -> None:
    lines = _quick_start()
    assert len(lines) == 3
    ci = (REPO / ".ci" / "run").read_text()
    assert lines[0] in ci and lines[2] in ci


def test_quick_start_main_command_runs_on_the_bundled_estate() -> None:
    argv = shlex.split(_quick_start()[1])
    assert argv[0] == "seawall"
    result = run_seawall(*argv[1:], cwd=REPO)
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    for service in ("azure.functionapp", "aws.ecs-fargate", "gcp.cloudrun-service", "azure.aks"):
        assert service in out
    assert "GAP" in out
