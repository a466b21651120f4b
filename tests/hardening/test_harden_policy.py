"""The organisation's policy: schema errors with file:line, custom CEL rules, severity
overrides, parameters, exceptions (live and expired) and inline ignores."""

from __future__ import annotations

from pathlib import Path

import pytest
from seawall_testlib import DATA

from seawall.errors import InputError
from seawall.hardening.policy import load_policy
from seawall.hardening.scan import harden
from seawall.model import Severity

POLICY = DATA / "hardening" / "policy"
K8S = DATA / "hardening" / "k8s"
CLOUD = DATA / "hardening" / "cloud"


def test_schema_error_names_file_and_line() -> None:
    with pytest.raises(InputError) as caught:
        load_policy(POLICY / "bad-policy.yaml")
    message = str(caught.value)
    assert message.startswith(f"{POLICY / 'bad-policy.yaml'}:5: exceptions.0:")
    assert "'owner' is a required property" in message


def test_invalid_cel_names_file_and_line() -> None:
    with pytest.raises(InputError, match=r"bad-cel.yaml:6: invalid CEL in rule ORG-9"):
        load_policy(POLICY / "bad-cel.yaml")


def test_policy_applies_to_k8s_and_cloud() -> None:
    policy = load_policy(POLICY / "company-policy.yaml")
    report = harden([K8S / "shop.yaml", CLOUD / "hcl"], policy=policy)
    by_rule: dict[str, list] = {}
    for f in report.findings:
        by_rule.setdefault(f.rule, []).append(f)
    # custom CEL rules, matched by kind + labels and by service kind
    assert [f.asset for f in by_rule["ORG-001"]] == ["k8s:default/shop/Deployment/web"]
    assert [f.asset for f in by_rule["ORG-002"]] == ["tf:hcl/azurerm_linux_web_app.shop"]
    # severity override and disabled rule
    assert {f.severity for f in by_rule["k8s-image-latest"]} == {Severity.CRITICAL}
    assert "k8s-resource-requests" not in by_rule
    # trusted registries parameter: docker.io is not trusted
    assert by_rule["k8s-untrusted-registry"][0].evidence.startswith("image docker.io/library")
    # allowed public workloads parameter
    assert "aws-apprunner-public" not in by_rule
    # live exception: listed as suppressed, not dropped
    (privileged,) = by_rule["pss-baseline-privileged"]
    assert privileged.suppressed is not None
    assert privileged.suppressed.kind == "policy-exception"
    assert privileged.suppressed.owner == "storefront-team@example.com"
    # expired exception: no longer applies, and is reported
    assert all(f.suppressed is None for f in by_rule["rbac-wildcard"])
    assert report.expired_exceptions[0]["expires"] == "2020-01-01"
    assert any("expired on 2020-01-01" in w for w in report.warnings)
    # inline annotation on the pod template
    (digest,) = by_rule["k8s-image-no-digest"]
    assert digest.suppressed is not None and digest.suppressed.kind == "annotation"
    assert digest.suppressed.reason == "images are pinned by the deploy pipeline"


def test_rbac_rules_on_bindings_and_roles() -> None:
    rules = {(f.rule, f.asset) for f in harden([K8S / "shop.yaml"]).findings}
    binding = "k8s:default//ClusterRoleBinding/dev-admin"
    role = "k8s:default//ClusterRole/too-much"
    assert ("rbac-powerful-role-binding", binding) in rules
    assert ("rbac-anonymous-subject", binding) in rules
    for rule in (
        "rbac-wildcard",
        "rbac-secrets-read",
        "rbac-pods-exec",
        "rbac-escalate-bind-impersonate",
    ):
        assert (rule, role) in rules


def test_bad_documents_are_named_counted_and_skipped() -> None:
    report = harden([K8S])
    assert report.stats.skipped == 3
    text = "\n".join(report.warnings)
    assert "broken.yaml:13: invalid YAML" in text
    assert "broken.yaml:15: Helm/Go template" in text
    assert "unknown kind 'Widget'" in text
    # the good pod in the same file is still checked
    assert any(f.asset == "k8s:default/default/Pod/ok-pod" for f in report.findings)


def test_custom_rule_on_pod_view_and_roles_checks_each_object_once(tmp_path: Path) -> None:
    policy_file = tmp_path / "p.yaml"
    policy_file.write_text(
        "custom_rules:\n"
        "  - id: ORG-POD\n"
        "    title: pods must set a service account\n"
        "    severity: low\n"
        "    match: {kinds: [k8s.pod]}\n"
        '    expression: "has(object.spec.serviceAccountName)"\n'
        "  - id: ORG-ROLE\n"
        "    title: no cluster roles named too-much\n"
        "    severity: low\n"
        "    match: {kinds: [ClusterRole]}\n"
        "    expression: \"name != 'too-much'\"\n"
    )
    report = harden([K8S / "shop.yaml"], policy=load_policy(policy_file))
    assert [f.asset for f in report.findings if f.rule == "ORG-POD"] == [
        "k8s:default/shop/Deployment/web"
    ]
    assert [f.asset for f in report.findings if f.rule == "ORG-ROLE"] == [
        "k8s:default//ClusterRole/too-much"
    ]


def test_dockerfile_inline_ignore_comment(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "# seawall.dev/ignore: docker-no-healthcheck -- the orchestrator probes it\n"
        "FROM alpine:3.20\nUSER 1000\n"
    )
    (finding,) = harden([dockerfile]).findings
    assert finding.rule == "docker-no-healthcheck"
    assert finding.suppressed is not None
    assert finding.suppressed.reason == "the orchestrator probes it"


def test_unknown_rule_id_in_policy_is_an_error_with_line(tmp_path: Path) -> None:
    policy_file = tmp_path / "p.yaml"
    policy_file.write_text("rules:\n  disable:\n    - k8s-net-raw\n    - k8s-typo\n")
    with pytest.raises(InputError, match=r"p.yaml:4: rules.disable: unknown rule 'k8s-typo'"):
        load_policy(policy_file)


def test_live_object_dump_is_checked_like_the_manifest() -> None:
    live = {
        (f.rule, f.location.field if f.location else None)
        for f in harden([DATA / "hardening" / "live" / "pods.json"]).findings
    }
    manifest = {
        (f.rule, (f.location.field or "").replace("spec.template.", "", 1) if f.location else None)
        for f in harden([K8S / "shop.yaml"]).findings
        if f.asset == "k8s:default/shop/Deployment/web"
    }
    for rule in ("pss-baseline-privileged", "k8s-image-latest", "pss-restricted-run-as-non-root"):
        assert {x for x in live if x[0] == rule} == {x for x in manifest if x[0] == rule}


def test_hostile_inputs_symlinks_and_alias_bombs(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: secret}\nspec: {containers: []}\n"
    )
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.yaml").symlink_to(outside)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(24)
    )
    (tree / "bomb.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n" + bomb)
    report = harden([tree])
    assert all("secret" not in f.asset for f in report.findings)  # symlink not followed
    assert any("bomb.yaml" in w and "aliases" in w for w in report.warnings)
    linked = harden([tree / "link.yaml"])
    assert linked.errors == [
        {"path": str(tree / "link.yaml"), "reason": "refusing to follow a symbolic link"}
    ]
    assert linked.findings == []


def test_nested_alias_bomb_under_the_alias_count_and_recursive_aliases_are_skipped(
    tmp_path: Path,
) -> None:
    """70 aliases (fewer than the alias cap) that expand to 10**8 values, and an alias that
    contains itself, are named and skipped; a CEL custom rule never walks them."""
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]"
        for i in range(7)
    ]
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n"
    pod += "  - name: app\n    image: nginx\n"
    (tmp_path / "bomb.yaml").write_text(
        pod.format(name="bomb") + "  x:\n" + "".join(f"    {line}\n" for line in levels)
    )
    (tmp_path / "loop.yaml").write_text(pod.format(name="loop") + "  self: &s [*s]\n")
    (tmp_path / "fine.yaml").write_text(
        pod.format(name="fine") + "  volumes: &v []\n  y: [*v, *v]\n"
    )
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(
        "apiVersion: seawall.dev/v1\nkind: HardeningPolicy\ncustom_rules:\n"
        "  - id: ORG-009\n    title: pods are named\n    severity: low\n"
        "    match: {kinds: [Pod]}\n    expression: \"object.metadata.name != 'fine'\"\n"
    )
    report = harden([tmp_path / n for n in ("bomb.yaml", "loop.yaml", "fine.yaml")],
                    policy=load_policy(policy_file))  # fmt: skip
    bombs = [w for w in report.warnings if "alias bomb" in w]
    assert [w.split(":")[0] for w in bombs] == [
        str(tmp_path / "bomb.yaml"),
        str(tmp_path / "loop.yaml"),
    ]
    # the custom rule (violated when its expression is false) ran on the one sane pod
    assert {f.asset for f in report.findings if f.rule == "ORG-009"} == {
        "k8s:default/default/Pod/fine"
    }
