"""Findings in Kubernetes YAML point at the offending field's line (or, for a missing
field, at the parent where it belongs)."""

from __future__ import annotations

from seawall_testlib import DATA

from seawall.hardening.yamllines import field_line

SHOP = (DATA / "hardening" / "k8s" / "shop.yaml").read_text().splitlines()


def test_field_lines_in_block_yaml() -> None:
    base = "spec.template.spec.containers[0]"
    assert field_line(SHOP, 1, f"{base}.securityContext.privileged") == 22
    assert field_line(SHOP, 1, f"{base}.image") == 20
    assert field_line(SHOP, 1, f"{base}.env[0].valueFrom.secretKeyRef") == 26
    # absent field: the line of its deepest present parent
    assert field_line(SHOP, 1, f"{base}.securityContext.readOnlyRootFilesystem") == 21
    assert field_line(SHOP, 1, "spec.template.spec.automountServiceAccountToken") == 17


def test_second_and_third_documents_and_keys_on_dash_lines() -> None:
    assert field_line(SHOP, 28, "subjects[1].name") == 36
    assert field_line(SHOP, 42, "rules[2].apiGroups") == 53
    assert field_line(SHOP, 42, "rules[2].verbs") == 55


def test_flow_style_stops_at_the_last_block_key() -> None:
    lines = ["kind: Pod", "spec: {containers: [{name: a}]}"]
    assert field_line(lines, 1, "spec.containers[0].name") == 2
    assert field_line(lines, 1, "metadata.name") is None
