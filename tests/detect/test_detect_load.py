"""Loading rules files as Falco does: required plugin and engine versions, load-time checks."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from detect_tsource import T_SOURCE
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
    assert message.startswith("r.yaml:4: rules require plugin github >= 0.7.0")
    assert "no seawall event source implements it" in message
    assert "unknown field" not in message


def test_cli_names_the_missing_plugin_on_one_line_and_exits_2(tmp_path: Path) -> None:
    rules = tmp_path / "github_rules.yaml"
    rules.write_text(GITHUB_RULES)
    proc = run_seawall("detect", "--rules", str(rules), "--source", "k8saudit", str(K8S_EVENT))
    assert proc.returncode == 2
    assert proc.stdout == b""
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines  # no warnings or unknown-field errors before it
    assert f"{rules}:4: rules require plugin github >= 0.7.0" in lines[0]


def test_rules_of_another_source_name_the_source_that_implements_the_plugin() -> None:
    ruleset = load_rules_files([RULES / "aws_cloudtrail_rules.yaml"])
    with pytest.raises(InputError) as info:
        Engine(ruleset, get_source("k8saudit"))
    message = str(info.value)
    assert "aws_cloudtrail_rules.yaml:23: rules require plugin cloudtrail >= 0.10.0" in message
    assert message.endswith("use --source cloudtrail")
    with pytest.raises(InputError, match=r"falco_rules\.yaml:31: .*plugin container >= 0\.4\.0"):
        Engine(load_rules_files([RULES / "falco_rules.yaml"]), get_source("k8saudit"))


def test_incompatible_plugin_version_names_plugin_and_both_versions() -> None:
    newer_minor = _requires("- name: k8saudit\n  version: 0.99.0\n")
    message = _engine_error(newer_minor, "k8saudit")
    assert message == (
        "r.yaml:2: rules require plugin k8saudit version 0.99.0, but --source k8saudit "
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
    line = 2 if "\n  " in body else 1  # the entry's own line when there is one
    with pytest.raises(InputError, match=message) as info:
        _ruleset(body)
    assert str(info.value).startswith(f"r.yaml:{line}: required_plugin_versions")


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


# ---- rule items: booleans, append, override, exceptions, redefinition ------------------

BASE = """\
- rule: Shell
  desc: a shell ran
  condition: t.s = bash
  output: shell %t.s
  priority: WARNING
  source: t
  tags: [a, b]
"""


def _t_engine(text: str) -> Engine:
    return Engine(_ruleset(BASE + textwrap.dedent(text)), T_SOURCE, rule_matching="all")


def _fired(engine: Engine, event: dict[str, str]) -> list[str]:
    return [alert.rule for alert in engine.evaluate(event)]


def _problems(text: str) -> list[str]:
    return [f"{p.line}: {p.name}: {p.message}" for p in _t_engine(text).problems]


@pytest.mark.parametrize(("value", "fires"), [("'false'", False), ("no", False), ("'yes'", True)])
def test_enabled_accepts_falcos_boolean_spellings(value: str, fires: bool) -> None:
    engine = _t_engine(f"- rule: Shell\n  enabled: {value}\n")
    assert _fired(engine, {"s": "bash"}) == (["Shell"] if fires else [])
    redefined = Engine(_ruleset(BASE.replace("tags:", f"enabled: {value}\n  tags:")), T_SOURCE)
    assert bool(_fired(redefined, {"s": "bash"})) is fires


def test_enabled_that_is_not_a_boolean_is_a_rule_error() -> None:
    assert _problems("- rule: Shell\n  enabled: 0\n") == [
        "8: Shell: enabled must be true or false, not 0"
    ]


def test_enabled_only_item_switches_a_rule_even_with_other_keys() -> None:
    engine = _t_engine("- rule: Shell\n  enabled: false\n  tags: [c]\n")
    assert _fired(engine, {"s": "bash"}) == []
    assert "no rule by that name" in _problems("- rule: Nope\n  enabled: false\n")[0]


def test_legacy_append_extends_condition_only_not_output_or_priority() -> None:
    engine = _t_engine(
        """\
        - rule: Shell
          append: true
          condition: and t.u != root
          output: (appended)
          priority: DEBUG
        """
    )
    [alert] = engine.evaluate({"s": "bash", "u": "alice"})
    assert (alert.output, alert.priority) == ("shell bash", "WARNING")
    assert engine.evaluate({"s": "bash", "u": "root"}) == []
    assert _problems("- rule: Shell\n  append: true\n  output: x\n") == [
        "8: Shell: appended rule must have a condition or exceptions"
    ]


def test_override_must_name_every_overridable_key_it_sets() -> None:
    text = """\
    - rule: Shell
      condition: and t.u != root
      enabled: false
      override:
        condition: append
    """
    assert _problems(text) == [
        "8: Shell: enabled is set but override does not say append or replace for it"
    ]
    assert (
        "priority cannot be appended to, use replace instead"
        in _problems("- rule: Shell\n  priority: DEBUG\n  override:\n    priority: append\n")[0]
    )
    assert (
        "override of 'items' is not supported"
        in _problems("- rule: Shell\n  items: [x]\n  override:\n    items: append\n")[0]
    )


def test_override_replace_of_skip_if_unknown_filter_takes_effect() -> None:
    text = """\
    - rule: Shell
      condition: t.nosuchfield = 1
      skip-if-unknown-filter: true
      override:
        condition: replace
        skip-if-unknown-filter: replace
    """
    engine = _t_engine(text)
    assert engine.problems == [] and engine.rule_count == 0  # skipped silently, as asked


def test_override_append_of_tags_adds_each_tag_once() -> None:
    engine = _t_engine("- rule: Shell\n  tags: [b, c]\n  override:\n    tags: append\n")
    [alert] = engine.evaluate({"s": "bash"})
    assert alert.tags == ("a", "b", "c")


@pytest.mark.parametrize(
    ("exceptions", "message"),
    [
        ("- name: e\n  values: [[x]]", "exception e has no fields"),
        (
            "- name: e\n  fields: [t.u]\n  values: [[x]]\n- name: e\n  fields: [t.u]",
            "exception e is defined twice in one rule",
        ),
        (
            "- name: e\n  fields: t.u\n  comps: '='\n  values: [x]",
            "exception e: when fields is a single field, comps must be one of in, pmatch, "
            "intersects",
        ),
        (
            "- name: e\n  fields: [t.u, t.n]\n  comps: '='\n  values: [[x, y]]",
            "exception e: fields and comps lists must have equal length",
        ),
    ],
)
def test_malformed_exceptions_are_rule_errors(exceptions: str, message: str) -> None:
    body = BASE.replace("tags: [a, b]", "exceptions:\n" + textwrap.indent(exceptions, "    "))
    engine = Engine(_ruleset(body), T_SOURCE)
    assert [p.message for p in engine.problems] == [message]
    assert engine.rule_count == 0


def test_appending_to_an_existing_exception_adds_values_only() -> None:
    base = BASE.replace(
        "tags: [a, b]",
        "exceptions:\n    - name: users\n      fields: [t.u]\n      values: [[root]]",
    )
    ok = base + "- rule: Shell\n  exceptions:\n    - name: users\n      values: [[alice]]\n"
    engine = Engine(_ruleset(ok + "  override:\n    exceptions: append\n"), T_SOURCE)
    assert _fired(engine, {"s": "bash", "u": "alice"}) == []
    assert _fired(engine, {"s": "bash", "u": "bob"}) == ["Shell"]
    with_fields = ok.replace(
        "- name: users\n      values", "- name: users\n      fields: [t.s]\n      values"
    )
    engine = Engine(_ruleset(with_fields + "  append: true\n"), T_SOURCE)
    assert [p.message for p in engine.problems] == [
        "exception users: can only append values to an existing exception, not fields"
    ]
    new_without_values = base + (
        "- rule: Shell\n  exceptions:\n    - name: hosts\n      fields: [t.n]\n"
        "  override:\n    exceptions: append\n"
    )
    assert [p.message for p in Engine(_ruleset(new_without_values), T_SOURCE).problems] == [
        "exception hosts has no values"
    ]


def test_redefining_a_rule_for_another_source_is_an_error() -> None:
    problems = _problems(BASE.replace("source: t", "source: syscall"))
    assert problems == [
        "8: Shell: rule is redefined with source syscall, but r.yaml:1 defines it for source t"
    ]


def test_unknown_top_level_item_is_a_warning_and_loading_goes_on(tmp_path: Path) -> None:
    ruleset = _ruleset(BASE + "- future_item: x\n")
    assert [str(w) for w in ruleset.warnings] == ["r.yaml:8: future_item: unknown item, ignored"]
    assert ruleset.problems == []
    Engine(ruleset, T_SOURCE, strict=True)  # not a rule error, even with --strict
    rules = tmp_path / "rules.yaml"
    rules.write_text((RULES / "k8s_audit_rules.yaml").read_text() + "\n- future_item: x\n")
    proc = run_seawall(
        "detect", "--rules", str(rules), "--source", "k8saudit", "--strict", str(K8S_EVENT)
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert "future_item: unknown item, ignored" in proc.stderr.decode()


def test_real_gke_overlay_appends_an_exception_to_an_upstream_rule() -> None:
    ruleset = load_rules_files([RULES / "k8s_audit_rules.yaml", RULES / "k8s_audit_rules_gke.yaml"])
    names = [e.name for e in ruleset.rules["Disallowed K8s User"].exceptions]
    assert names[-1] == "google-container-engine-robot"


# ---- macros no rule uses: Falco compiles them all ---------------------------------------


def test_unused_macro_naming_an_undefined_macro_is_reported() -> None:
    text = """\
    - macro: is_root
      condition: t.u = root and not in_allowlist
    - macro: broken
      condition: t.u = (
    - macro: fine
      condition: is_root or t.n = 1
    """
    engine = _t_engine(text)
    assert [(str(p), p.kind) for p in engine.problems] == [
        ("r.yaml:8: macro is_root: undefined macro in_allowlist", "macro"),
        (f"r.yaml:10: macro broken: {engine.problems[1].message}", "macro"),
    ]
    assert engine.problems[1].message.startswith("condition syntax error")
    assert _fired(engine, {"s": "bash"}) == ["Shell"]  # the rules still run
    with pytest.raises(InputError, match="macro is_root: undefined macro in_allowlist"):
        Engine(_ruleset(BASE + textwrap.dedent(text)), T_SOURCE, strict=True)


def test_used_macro_naming_an_undefined_macro_is_one_rule_error() -> None:
    text = """\
    - macro: is_root
      condition: t.u = root and not in_allowlist
    - rule: Root Shell
      desc: root shell
      condition: t.s = bash and is_root
      output: root shell
      priority: ERROR
      source: t
    """
    assert _problems(text) == ["10: Root Shell: undefined macro in_allowlist"]


def test_cli_reports_an_unused_broken_macro_and_runs_the_rules(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    overlay = "\n- macro: my_tuning\n  condition: k8s_audit_never_true and not my_typo\n"
    rules.write_text((RULES / "k8s_audit_rules.yaml").read_text() + overlay)
    proc = run_seawall(
        "detect", "--rules", str(rules), "--source", "k8saudit", str(K8S_EVENT), "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert "macro my_tuning: undefined macro my_typo (unused)" in proc.stderr.decode()
    doc = json.loads(proc.stdout)
    assert doc["rule_errors"][0]["rule"] == "macro my_tuning"
    assert doc["summary"]["alerts"] >= 1


# ---- keys Falco's schema does not know ---------------------------------------------------


def test_a_misspelt_key_is_a_warning_naming_it() -> None:
    text = """\
    - rule: Shell
      enabeld: false
    - rule: Other
      desc: other
      condition: t.s = zsh
      output: other
      priority: INFO
      source: t
      exceptions:
        - name: e
          fields: [t.u]
          value: [[root]]
    """
    ruleset = _ruleset(BASE + textwrap.dedent(text))
    assert [str(w) for w in ruleset.warnings] == [
        "r.yaml:8: Shell: unknown key enabeld ignored",
        "r.yaml:10: Other: unknown key value (exception e) ignored",
    ]
    # as in Falco, the misspelt key does nothing: an `enabled`-less item switches nothing
    assert ruleset.problems[0].message == "rule is missing condition, output, desc, priority"


def test_empty_entries_are_skipped_as_in_falco() -> None:
    ruleset = _ruleset("-\n" + BASE + "-\n")
    assert ruleset.problems == [] and list(ruleset.rules) == ["Shell"]


def test_upstream_files_load_without_warnings() -> None:
    ruleset = load_rules_files(sorted(RULES.glob("*.yaml")))
    assert ruleset.warnings == []


def test_a_key_given_twice_in_one_item_is_a_warning_with_both_lines() -> None:
    text = BASE.replace("  tags: [a, b]\n", "  tags: [a, b]\n  condition: t.s = zsh\n")
    ruleset = _ruleset(text)
    assert [str(w) for w in ruleset.warnings] == [
        "r.yaml:1: Shell: key condition is given twice (lines 3 and 8); the first one is used"
    ]
    assert ruleset.rules["Shell"].condition == "t.s = bash"  # as Falco (yaml-cpp) reads it


def test_each_requirement_is_reported_at_its_own_line() -> None:
    text = """\
    # tuning
    - required_plugin_versions:
        - name: k8saudit
          version: 0.1.0
        - name: json
          version: 1.0.0
    """
    message = _engine_error(text, "k8saudit")
    assert message.startswith("r.yaml:5: rules require plugin json version 1.0.0")
    assert "implements json 0.7.0" in message


@pytest.mark.parametrize("condition", ["", "''", "' '"])
def test_an_empty_macro_is_an_error_not_an_always_true_macro(condition: str) -> None:
    text = f"""\
    - macro: user_known_shell
      condition: {condition}
    - rule: Shell
      condition: and not user_known_shell
      override:
        condition: append
    """
    engine = _t_engine(text)
    assert [(p.line, p.name, p.message, p.kind) for p in engine.problems] == [
        (8, "user_known_shell", "macro condition is empty", "item"),
        (1, "Shell", "undefined macro user_known_shell", "rule"),
    ]


def test_cli_says_what_each_problem_means_for_the_run(tmp_path: Path) -> None:
    overlay = """
- macro: user_known_thing
  condition:
- rule: No Such Rule
  condition: and not user_known_thing
  override:
    condition: append
"""
    rules = tmp_path / "rules.yaml"
    rules.write_text((RULES / "k8s_audit_rules.yaml").read_text() + overlay)
    proc = run_seawall("detect", "--rules", str(rules), "--source", "k8saudit", str(K8S_EVENT))
    assert proc.returncode == 0, proc.stderr.decode()
    err = proc.stderr.decode()
    assert "user_known_thing: macro condition is empty (ignored)" in err
    assert "No Such Rule: rule has append/override but no rule by that name exists (ignored)" in err
