"""Loading rules files as Falco does: required plugin and engine versions, load-time checks."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from seawall_testlib import DATA, run_seawall

from seawall.detect.engine import Engine
from seawall.detect.falco.rules import RuleSet, load_rules_files, load_rules_text
from seawall.detect.sources import get_source
from seawall.errors import InputError

RULES = DATA / "detect" / "rules"
K8S_EVENT = DATA / "detect" / "events" / "k8s_audit" / "create_nginx_pod_privileged.json"

# A rules file of the kind Falco's github plugin ships: seawall has no source for github.
GITHUB_RULES = """\
- required_engine_version: 10

- required_plugin_versions:
  - name: github
    version: 0.7.0
  - name: json
    version: 0.7.0

- macro: is_push
  condition: github.type=push

- rule: Push By Unknown User
  desc: a push by someone not in the team
  condition: is_push and not github.user in (alice, bob)
  output: push by %github.user to %github.repo
  priority: WARNING
  source: github
"""


def _ruleset(text: str, name: str = "r.yaml") -> RuleSet:
    ruleset = RuleSet()
    load_rules_text(ruleset, textwrap.dedent(text), name)
    return ruleset


def _engine_error(text: str, source: str) -> str:
    with pytest.raises(InputError) as info:
        Engine(_ruleset(text), get_source(source))
    return str(info.value)


def _requires(plugins: str) -> str:
    return "- required_plugin_versions:\n" + textwrap.indent(textwrap.dedent(plugins), "  ")


# ---- required_plugin_versions -------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "files"),
    [
        ("k8saudit", ["k8s_audit_rules.yaml", "k8s_audit_rules_gke.yaml"]),
        ("tetragon", ["falco_rules.yaml", "falco-incubating_rules.yaml"]),
        ("falco", ["falco-sandbox_rules.yaml"]),
        ("sysdig", ["falco_rules.yaml"]),
        ("cloudtrail", ["aws_cloudtrail_rules.yaml"]),
        ("gcpaudit", ["gcp_auditlog_rules.yaml"]),
    ],
)
def test_upstream_plugin_requirements_are_met_by_their_source(
    source: str, files: list[str]
) -> None:
    ruleset = load_rules_files([RULES / f for f in files])
    assert ruleset.plugin_requirements  # every upstream file names its plugins
    Engine(ruleset, get_source(source), strict=True)  # no InputError


def test_rules_for_a_plugin_seawall_has_no_source_for_get_one_line() -> None:
    message = _engine_error(GITHUB_RULES, "k8saudit")
    assert message.startswith("r.yaml:3: rules require plugin github >= 0.7.0")
    assert "seawall has no event source for it" in message
    assert "unknown field" not in message


def test_cli_names_the_missing_plugin_on_one_line_and_exits_2(tmp_path: Path) -> None:
    rules = tmp_path / "github_rules.yaml"
    rules.write_text(GITHUB_RULES)
    proc = run_seawall("detect", "--rules", str(rules), "--source", "k8saudit", str(K8S_EVENT))
    assert proc.returncode == 2
    assert proc.stdout == b""
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines  # no warnings or unknown-field errors before it
    assert f"{rules}:3: rules require plugin github >= 0.7.0" in lines[0]


def test_rules_of_another_source_name_the_source_that_implements_the_plugin() -> None:
    ruleset = load_rules_files([RULES / "aws_cloudtrail_rules.yaml"])
    with pytest.raises(InputError) as info:
        Engine(ruleset, get_source("k8saudit"))
    message = str(info.value)
    assert "aws_cloudtrail_rules.yaml:22: rules require plugin cloudtrail >= 0.10.0" in message
    assert message.endswith("use --source cloudtrail")
    with pytest.raises(InputError, match=r"falco_rules\.yaml:30: .*plugin container >= 0\.4\.0"):
        Engine(load_rules_files([RULES / "falco_rules.yaml"]), get_source("k8saudit"))


def test_incompatible_plugin_version_names_plugin_and_both_versions() -> None:
    newer_minor = _requires("- name: k8saudit\n  version: 0.99.0\n")
    message = _engine_error(newer_minor, "k8saudit")
    assert message == (
        "r.yaml:1: rules require plugin k8saudit version 0.99.0, but --source k8saudit "
        "implements k8saudit 0.18.0, which is not compatible "
        "(same major version and at least 0.99.0 needed)"
    )
    # another major version is incompatible even when it is lower
    assert "cloudtrail 0.13.0" in _engine_error(
        _requires("- name: cloudtrail\n  version: 1.0.0\n"), "cloudtrail"
    )


def test_older_required_versions_and_alternatives_are_satisfied() -> None:
    Engine(_ruleset(_requires("- name: k8saudit\n  version: 0.1.0\n")), get_source("k8saudit"))
    only_alternative = _requires(
        """\
        - name: k8saudit-someprovider
          version: 0.1.0
          alternatives:
            - name: k8saudit-eks
              version: 0.5.0
        """
    )
    Engine(_ruleset(only_alternative), get_source("k8saudit"))


def test_first_provided_alternative_decides_as_in_falco() -> None:
    # k8saudit is provided but too old for 0.99.0: Falco does not fall back to k8saudit-eks
    text = _requires(
        """\
        - name: k8saudit
          version: 0.99.0
          alternatives:
            - name: k8saudit-eks
              version: 0.1.0
        """
    )
    assert "k8saudit version 0.99.0" in _engine_error(text, "k8saudit")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- required_plugin_versions: k8saudit\n", "must be a list"),
        ("- required_plugin_versions: [k8saudit]\n", "must be a mapping"),
        (_requires("- name: k8saudit\n"), "invalid required version None for plugin k8saudit"),
        (_requires("- name: k8saudit\n  version: '0.18'\n"), "invalid required version '0.18'"),
        (_requires("- version: 0.18.0\n"), "an entry has no plugin name"),
        (
            _requires(
                "- name: k8saudit\n  version: 0.1.0\n  alternatives:\n"
                "    - name: k8saudit\n      version: 0.2.0\n"
            ),
            "plugin k8saudit is named twice",
        ),
    ],
)
def test_malformed_plugin_requirements_are_refused(body: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        _ruleset(body)
    assert str(info.value).startswith("r.yaml:1: required_plugin_versions")


def test_every_source_declares_the_plugins_it_implements() -> None:
    declared = {name: dict(get_source(name).plugins) for name in ("k8saudit", "tetragon")}
    assert declared["k8saudit"]["k8saudit"] == "0.18.0"
    assert declared["k8saudit"]["json"] == "0.7.0"
    assert declared["tetragon"] == {"container": "0.4.0"}
    assert dict(get_source("cloudtrail").plugins)["cloudtrail"] == "0.13.0"
    assert dict(get_source("gcpaudit").plugins)["gcpaudit"] == "0.7.0"


# ---- required_engine_version ----------------------------------------------------------


@pytest.mark.parametrize("version", ["15", "0.57.0", "'0.31.0'", "'0.26.1-rc1'", "0"])
def test_engine_versions_seawall_implements_load(version: str) -> None:
    _ruleset(f"- required_engine_version: {version}\n")


@pytest.mark.parametrize(
    ("version", "shown"),
    [("58", "0.58.0"), ("0.58.0", "0.58.0"), ("1.0.0", "1.0.0"), ("0.57.1", "0.57.1")],
)
def test_newer_engine_version_refuses_the_file(version: str, shown: str) -> None:
    with pytest.raises(InputError) as info:
        _ruleset(f"# header\n- required_engine_version: {version}\n")
    assert str(info.value) == (
        f"r.yaml:2: rules require engine version {shown}, "
        "but seawall implements engine version 0.57.0"
    )


@pytest.mark.parametrize("version", ["0.31", "latest", "true", "[1]", "-1"])
def test_unreadable_engine_version_is_an_error(version: str) -> None:
    with pytest.raises(InputError, match="cannot read required_engine_version"):
        _ruleset(f"- required_engine_version: {version}\n")


def test_cli_refuses_rules_for_a_newer_engine(tmp_path: Path) -> None:
    rules = tmp_path / "new.yaml"
    rules.write_text(
        (RULES / "k8s_audit_rules.yaml")
        .read_text()
        .replace("engine_version: 15", "engine_version: 0.99.0")
    )
    proc = run_seawall(
        "detect", "--rules", str(rules), "--source", "k8saudit", str(K8S_EVENT), "--format", "json"
    )
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert f"{rules}:19: rules require engine version 0.99.0" in proc.stderr.decode()
    ok = run_seawall(
        "detect",
        "--rules",
        str(RULES / "k8s_audit_rules.yaml"),
        "--source",
        "k8saudit",
        str(K8S_EVENT),
        "--format",
        "json",
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["summary"]["alerts"] >= 1
