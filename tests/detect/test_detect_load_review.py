"""Review of the Falco rules-file loading: forms Falco loads that seawall refused or misread,
and error lines that named an option the user never gave."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from detect_tsource import T_SOURCE
from seawall_testlib import DATA, run_seawall

from seawall.detect.engine import Engine
from seawall.detect.falco.rules import RuleSet, load_rules_files, load_rules_text
from seawall.detect.runner import build_engine
from seawall.errors import InputError

RULES = DATA / "detect" / "rules"
TETRAGON_EVENTS = DATA / "detect" / "events" / "tetragon" / "testdata_events.jsonl"

BASE = """\
- rule: Shell
  desc: a shell ran
  condition: t.s = bash
  output: shell %t.s
  priority: WARNING
  source: t
"""


def _ruleset(text: str, name: str = "r.yaml") -> RuleSet:
    ruleset = RuleSet()
    load_rules_text(ruleset, textwrap.dedent(text), name)
    return ruleset


def _fired(engine: Engine, event: dict[str, str]) -> list[str]:
    return [alert.rule for alert in engine.evaluate(event)]


def test_exception_comps_written_as_plain_equals_load_as_in_falcos_docs() -> None:
    # Falco's documentation writes `comps: [=, contains]`; YAML 1.1 gives a plain `=` the
    # "value" tag, which the whole file used to be refused for ("not valid YAML", exit 2).
    engine = Engine(
        _ruleset(
            BASE
            + """\
  exceptions:
    - name: known
      fields: [t.u, t.p]
      comps: [=, contains]
      values:
        - [root, /opt/]
"""
        ),
        T_SOURCE,
        strict=True,
    )
    assert _fired(engine, {"s": "bash", "u": "root", "p": "/opt/tool"}) == []
    assert _fired(engine, {"s": "bash", "u": "root", "p": "/tmp/x"}) == ["Shell"]


def test_plain_equals_in_a_block_list_and_as_a_value_is_the_string() -> None:
    ruleset = _ruleset("- list: ops\n  items:\n    - =\n    - '!='\n")
    assert ruleset.lists["ops"].items == ["=", "!="]


def test_list_items_and_exception_values_are_the_text_written() -> None:
    # yaml-cpp keeps `yes` and `0644` as written; PyYAML's typing made them "True" and "420",
    # so a list of process names never matched `yes` and an exception never applied.
    text = """\
- list: odd_names
  items: [yes, 0644, 1.10]
- rule: Odd
  desc: an odd name ran
  condition: t.s in (odd_names)
  output: odd %t.s
  priority: WARNING
  source: t
  exceptions:
    - name: users
      fields: t.u
      values: [on]
"""
    engine = Engine(_ruleset(text), T_SOURCE, strict=True)
    for name in ("yes", "0644", "1.10"):
        assert _fired(engine, {"s": name, "u": "root"}) == ["Odd"], name
    assert _fired(engine, {"s": "True", "u": "root"}) == []
    assert _fired(engine, {"s": "yes", "u": "on"}) == []


@pytest.mark.parametrize(("version", "ok"), [("'15'", True), ('"57"', True), ("'58'", False)])
def test_quoted_integer_engine_version_is_read_as_falco_does(version: str, ok: bool) -> None:
    # Falco reads required_engine_version as an unsigned integer first, quoted or not.
    if ok:
        _ruleset(f"- required_engine_version: {version}\n")
        return
    with pytest.raises(InputError) as info:
        _ruleset(f"- required_engine_version: {version}\n")
    assert str(info.value) == (
        "r.yaml:1: rules require engine version 0.58.0, but seawall implements engine "
        "version 0.57.0"
    )


def test_override_replace_of_a_list_or_macro_not_defined_before_defines_it() -> None:
    # In Falco only `append` needs an earlier definition; `replace` is a plain definition.
    ruleset = _ruleset(
        """\
        - list: shells
          items: [bash, zsh]
          override:
            items: replace
        - macro: is_shell
          condition: t.s in (shells)
          override:
            condition: replace
        - rule: Shell
          desc: a shell ran
          condition: is_shell
          output: shell %t.s
          priority: WARNING
          source: t
        """
    )
    assert not ruleset.problems
    engine = Engine(ruleset, T_SOURCE, strict=True)
    assert _fired(engine, {"s": "zsh"}) == ["Shell"]
    # appending still needs something to append to
    appended = _ruleset("- list: shells\n  items: [sh]\n  override:\n    items: append\n")
    assert [p.message for p in appended.problems] == [
        "list has append/override but no list by that name exists"
    ]


def test_an_empty_override_mapping_leaves_a_plain_rule_definition() -> None:
    engine = Engine(_ruleset(BASE + "  override: {}\n"), T_SOURCE, strict=True)
    assert _fired(engine, {"s": "bash"}) == ["Shell"]


def test_a_rule_with_quoted_append_false_that_fails_is_reported_as_disabled() -> None:
    ruleset = _ruleset(BASE.replace("WARNING", "LOUD") + "  append: 'false'\n")
    assert [(p.kind, p.message) for p in ruleset.problems] == [("rule", "invalid priority 'LOUD'")]
    # an unreadable append is an item that could not be applied: the rule itself stays
    unreadable = _ruleset(BASE + "- rule: Shell\n  append: [true]\n  condition: and t.u = x\n")
    assert [p.kind for p in unreadable.problems] == ["item"]
    assert unreadable.rules["Shell"].enabled


USER_OVERLAY = """\
- list: shell_binaries
  items: [fish]
  override:
    items: append
- list: user_known_shell_spawn_binaries
  append: true
  items: [my-tool]
- macro: user_known_read_sensitive_files_activities
  condition: (proc.name = myscanner)
  override:
    condition: replace
- rule: Terminal shell in container
  enabled: false
- rule: System user interactive
  enabled: "false"
  override:
    enabled: replace
- rule: Run shell untrusted
  append: true
  condition: and not proc.pname = myparent
- rule: Read sensitive file untrusted
  condition: and not proc.name = x
  tags: [mytag]
  priority: ERROR
  override:
    condition: append
    tags: append
    priority: replace
- rule: Find AWS Credentials
  exceptions:
    - name: my_backup
      fields: [proc.name, fd.name]
      comps: [=, startswith]
      values:
        - [aws, /home/backup/]
  override:
    exceptions: append
"""


def test_a_typical_user_overlay_on_upstream_rules_loads_with_its_effects(tmp_path: Path) -> None:
    overlay = tmp_path / "falco_rules.local.yaml"
    overlay.write_text(USER_OVERLAY)
    ruleset = load_rules_files([RULES / "falco_rules.yaml", overlay])
    assert not ruleset.problems and not ruleset.warnings
    rules = ruleset.rules
    assert not rules["Terminal shell in container"].enabled
    assert not rules["System user interactive"].enabled
    assert rules["Read sensitive file untrusted"].priority == "ERROR"
    assert rules["Find AWS Credentials"].exceptions[-1].comps == ["=", "startswith"]
    assert ruleset.lists["shell_binaries"].items[-1] == "fish"
    proc = run_seawall(
        "detect",
        "--rules",
        str(RULES / "falco_rules.yaml"),
        "--rules",
        str(overlay),
        "--source",
        "tetragon",
        str(TETRAGON_EVENTS),
        "--strict",
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    assert b"warning" not in proc.stderr


def test_the_sysdig_source_is_named_as_the_user_gave_it() -> None:
    proc = run_seawall(
        "detect",
        "--rules",
        str(RULES / "k8s_audit_rules.yaml"),
        "--source",
        "sysdig",
        str(TETRAGON_EVENTS),
    )
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "which --source sysdig does not implement" in err
    assert "--source falco" not in err


def test_serve_errors_do_not_name_a_source_option_serve_does_not_have() -> None:
    proc = run_seawall(
        "detect",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--rules",
        str(RULES / "falco_rules.yaml"),
        "--sink",
        "stdout",
    )
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{RULES / 'falco_rules.yaml'}:31: rules require plugin container >= 0.4.0" in err
    assert "which seawall detect serve (k8saudit audit events) does not implement" in err
    assert "run them with seawall detect --source tetragon or falco or sysdig" in err
    assert "--source k8saudit" not in err


def test_serve_warning_about_rules_of_another_source_names_serve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "mixed.yaml"
    rules.write_text(
        "- rule: Shell\n  desc: d\n  condition: proc.name = bash\n  output: o\n"
        "  priority: WARNING\n  source: syscall\n"
    )
    build_engine("k8saudit", [rules], "first", False, serve=True)
    err = capsys.readouterr().err
    assert "(seawall detect serve reads k8saudit events); they are not used" in err
    assert "--source" not in err
    build_engine("k8saudit", [rules], "first", False)
    assert "(--source k8saudit); they are not used" in capsys.readouterr().err


def test_a_toggle_of_a_rule_no_file_defines_is_ignored_not_a_disabled_rule(
    tmp_path: Path,
) -> None:
    # e.g. a local file that switches off a sandbox rule while only falco_rules.yaml is loaded
    toggles = tmp_path / "toggles.yaml"
    toggles.write_text("- rule: Some Sandbox Rule\n  enabled: false\n")
    proc = run_seawall(
        "detect",
        "--rules",
        str(RULES / "falco_rules.yaml"),
        "--rules",
        str(toggles),
        "--source",
        "tetragon",
        str(TETRAGON_EVENTS),
    )
    assert proc.returncode == 0
    assert proc.stderr.decode().splitlines() == [
        f"warning: {toggles}:1: Some Sandbox Rule: rule has enabled but no rule by that name "
        "exists (ignored)"
    ]


def test_a_key_given_twice_keeps_its_first_value_as_falco_does() -> None:
    # yaml-cpp (Falco) returns the first of two equal keys; PyYAML kept the last, so the
    # same file switched a rule off in seawall and left it on in Falco.
    ruleset = _ruleset(BASE + "  enabled: true\n  enabled: false\n")
    assert ruleset.rules["Shell"].enabled
    assert [w.message for w in ruleset.warnings] == [
        "key enabled is given twice (lines 7 and 8); the first one is used"
    ]
    merged = _ruleset("- list: l\n  items: &i [a]\n- {list: k, <<: {items: *i}}\n")
    assert merged.lists["k"].items == ["a"]


def test_a_rules_file_of_several_yaml_documents_loads_in_order(tmp_path: Path) -> None:
    # Falco reads every document of a rules file (YAML::LoadAll); this was "not valid YAML"
    rules = tmp_path / "local.yaml"
    rules.write_text(
        "# first part\n---\n"
        + BASE
        + "---\n---\n# toggles\n- rule: Shell\n  enabled: false\n  enabeld: x\n"
    )
    ruleset = load_rules_files([rules])
    assert not ruleset.problems
    assert not ruleset.rules["Shell"].enabled
    # file:line still points into the right document
    assert [str(w) for w in ruleset.warnings] == [f"{rules}:12: Shell: unknown key enabeld ignored"]
    with pytest.raises(InputError, match="must be a YAML list"):
        _ruleset(BASE + "---\na: 1\n")
