"""Every id a rule maps to is real: Checkov ids, Azure Policy definitions and CIS sections
exist in the upstream tables (tests/data/hardening/reference, see PROVENANCE.txt)."""

from __future__ import annotations

import csv
from pathlib import Path

from seawall_testlib import DATA

from seawall.hardening.engine import builtin_rules
from seawall.hardening.rules.pss import PSS_VERSIONS

REF = DATA / "hardening" / "reference"


def tsv(name: str) -> list[dict[str, str]]:
    with (REF / name).open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_checkov_ids_exist() -> None:
    known = {row["check_id"] for row in tsv("checkov-container-checks.tsv")}
    for r in builtin_rules().values():
        for check in r.mappings.get("checkov", []):
            assert check in known, (r.id, check)


def test_azure_policy_ids_exist_and_are_not_deprecated() -> None:
    rows = {
        row["policy_definition_id"]: row for row in tsv("azure-policy-container-appservice.tsv")
    }
    for r in builtin_rules().values():
        for guid in r.mappings.get("azure_policy", []):
            assert guid in rows, (r.id, guid)
            assert rows[guid]["deprecated"] != "DEP", (r.id, guid)


def test_cis_sections_exist() -> None:
    known = {(row["benchmark"], row["check_id"]) for row in tsv("kube-bench-cis-checks.tsv")}
    for r in builtin_rules().values():
        for ref in r.mappings.get("cis", []):
            benchmark, section = ref.split(":")
            benchmark = {"k8s-1.10": "cis-1.10"}.get(benchmark, benchmark)
            assert (benchmark, section) in known, (r.id, ref)


def test_all_pss_controls_are_rules() -> None:
    controls = {v for r in builtin_rules().values() for v in r.mappings.get("pss", [])}
    assert controls == {
        "baseline/hostNamespaces", "baseline/privileged", "baseline/capabilities_baseline",
        "baseline/hostPathVolumes", "baseline/hostPorts", "baseline/appArmorProfile",
        "baseline/seLinuxOptions", "baseline/procMount_baseline",
        "baseline/seccompProfile_baseline",
        "baseline/sysctls", "baseline/windowsHostProcess",
        "baseline/hostProbesAndHostLifecycle", "restricted/restrictedVolumes",
        "restricted/allowPrivilegeEscalation", "restricted/runAsNonRoot",
        "restricted/runAsUser", "restricted/seccompProfile_restricted",
        "restricted/capabilities_restricted", "restricted/procMount_restricted",
    }  # fmt: skip
    assert PSS_VERSIONS[-1] == (1, 37)


def test_reference_copies_match_provenance() -> None:
    assert "bridgecrewio/checkov" in Path(REF / "PROVENANCE.txt").read_text()
