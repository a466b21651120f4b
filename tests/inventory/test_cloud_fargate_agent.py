"""GuardDuty ECS Fargate runtime agent decided per cluster from the GuardDutyManaged tag.

Runtime Monitoring on with account-level ECS_FARGATE_AGENT_MANAGEMENT off used to leave every
Fargate threat-detection cell "unknown"; AWS deploys the agent per cluster: tag
`GuardDutyManaged=true` opts a cluster in, `GuardDutyManaged=false` opts it out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seawall_testlib import DATA, run_seawall

from seawall.inventory.build import build_inventory
from seawall.inventory.sources import aws
from seawall.inventory.sources.terraform import read_hcl_text, transform_resources

CLOUD = DATA / "inventory" / "cloud"
OPT_IN = CLOUD / "aws-config-fargate-optin.json"  # agent management off, ledger tagged true
OPT_OUT = CLOUD / "aws-config-select-fargate-optout.json"  # on, ledger tagged false
PREFIX = "arn:aws:ecs:eu-west-1:111122223333"
LEDGER, LEDGER_API = f"{PREFIX}:cluster/ledger", f"{PREFIX}:service/ledger/ledger-api"
REPORTS, REPORTS_API = f"{PREFIX}:cluster/reports", f"{PREFIX}:service/reports/reports-api"
ACCOUNT_SCOPE = "aws:111122223333/eu-west-1"


def ecs_states(part: aws.InventoryPart) -> dict[str, str]:
    return {c.scope: c.status for c in part.controls if c.control == "aws.guardduty-ecs-runtime"}


def threat_cell(path: Path) -> dict[str, dict[str, Any]]:
    result = run_seawall("coverage", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    rows = json.loads(result.stdout)["rows"]
    cells = {}
    for row in rows:
        (cell,) = [
            c
            for c in row["cells"]
            if (c["layer"], c["task"]) == ("application", "threat-detection")
        ]
        cells[row["name"]] = cell
    return cells


def test_cluster_tagged_true_gets_the_agent_with_account_automation_off() -> None:
    part = aws.load_file(OPT_IN)
    assert part.warnings == []
    assert ecs_states(part) == {
        ACCOUNT_SCOPE: "unknown",  # clusters not in the inventory may still be tagged
        LEDGER: "on",
        LEDGER_API: "on",
        REPORTS: "off",
        REPORTS_API: "off",
    }
    by_scope = {c.scope: c for c in part.controls if c.control == "aws.guardduty-ecs-runtime"}
    assert by_scope[LEDGER_API].details["reason"] == "cluster tagged GuardDutyManaged=true"
    assert by_scope[LEDGER_API].details["cluster"] == LEDGER
    assert "not tagged GuardDutyManaged=true" in by_scope[REPORTS_API].details["reason"]


def test_cluster_tagged_false_is_excluded_with_account_automation_on() -> None:
    part = aws.load_file(OPT_OUT)  # select-resource-config rows, tags as [{key, value}]
    assert part.warnings == []
    assert ecs_states(part) == {ACCOUNT_SCOPE: "on", LEDGER: "off", LEDGER_API: "off"}


def test_coverage_cells_become_covered_or_gap_per_cluster() -> None:
    opt_in = threat_cell(OPT_IN)
    assert opt_in["ledger-api"]["verdict"] == "covered"
    assert opt_in["ledger-api"]["coverage"] == "native-active"
    assert opt_in["ledger-api"]["controls"][0]["scope"] == LEDGER_API
    assert opt_in["reports-api"]["verdict"] == "gap"
    assert opt_in["reports-api"]["coverage"] == "native-off"  # was native-unknown
    opt_out = threat_cell(OPT_OUT)
    assert opt_out["ledger-api"]["verdict"] == "gap"
    assert opt_out["ledger-api"]["coverage"] == "native-off"
    assert opt_out["reports-api"]["verdict"] == "covered"


def test_terraform_cluster_tags_decide_fargate_runtime() -> None:
    text = """
resource "aws_guardduty_detector_feature" "runtime" {
  detector_id = aws_guardduty_detector.main.id
  name        = "RUNTIME_MONITORING"
  status      = "ENABLED"
  additional_configuration {
    name   = "ECS_FARGATE_AGENT_MANAGEMENT"
    status = "DISABLED"
  }
}

resource "aws_ecs_cluster" "ledger" {
  name = "ledger"
  tags = { GuardDutyManaged = "true" }
}

resource "aws_ecs_cluster" "reports" {
  name = "reports"
}

resource "aws_ecs_service" "ledger_api" {
  name        = "ledger-api"
  cluster     = aws_ecs_cluster.ledger.id
  launch_type = "FARGATE"
}

resource "aws_ecs_service" "reports_api" {
  name        = "reports-api"
  cluster     = aws_ecs_cluster.reports.id
  launch_type = "FARGATE"
}
"""
    objects, warnings = read_hcl_text(text, Path("ecs.tf"))
    assert warnings == []
    part = transform_resources(objects, root="ecs")
    names = {a.id: a.name for a in part.assets}
    states = {names.get(scope, scope): status for scope, status in ecs_states(part).items()}
    # account-level: runtime monitoring on, automation off -> off unless a cluster opts in
    assert states == {"aws:*": "off", "ledger": "on", "ledger-api": "on"}


def test_cluster_tags_from_one_source_meet_the_detector_from_another(tmp_path: Path) -> None:
    detector_only = json.loads(OPT_IN.read_text())
    items = detector_only["configurationItems"]
    detector_only["configurationItems"] = [i for i in items if "GuardDuty" in i["resourceType"]]
    clusters = dict(
        detector_only, configurationItems=[i for i in items if "ECS" in i["resourceType"]]
    )
    (tmp_path / "detector.json").write_text(json.dumps(detector_only))
    (tmp_path / "ecs.json").write_text(json.dumps(clusters))
    inventory = build_inventory([tmp_path / "detector.json", tmp_path / "ecs.json"])
    states = {c.scope: c.status for c in inventory.controls}
    assert states[LEDGER_API] == "on" and states[REPORTS_API] == "off"
