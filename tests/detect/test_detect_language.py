"""The Falco rule language: operators, lists, macros, exceptions, append/override, errors."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from seawall.detect.engine import Engine
from seawall.detect.falco.grammar import ConditionSyntaxError, parse_condition
from seawall.detect.falco.rules import RuleSet, load_rules_text
from seawall.detect.sources.base import MISSING, EventSource, FieldDef
from seawall.errors import InputError


def _field(name: str, **kw: Any) -> FieldDef:
    key = name.split(".", 1)[1]

    def extract(event: dict[str, Any], arg: str | None) -> Any:
        value = event.get(key, MISSING)
        if arg is not None and value is not MISSING:
            if isinstance(value, dict):
                return value.get(arg, MISSING)
            try:
                return value[int(arg)]
            except (IndexError, ValueError):
                return MISSING
        return value

    return FieldDef(name=name, extract=extract, **kw)


SOURCE = EventSource(
    name="test",
    falco_source="test",
    fields={
        f.name: f
        for f in [
            _field("t.s"),
            _field("t.path"),
            _field("t.n", type="uint64"),
            _field("t.b", type="bool"),
            _field("t.l", is_list=True, arg="optional"),
            _field("t.m", arg="required"),
            _field("t.ip", type="ipaddr"),
            _field("t.net", type="ipnet"),
        ]
    },
    read=lambda stream, name: iter(()),
)


def _engine(yaml_text: str, matching: str = "all", strict: bool = True) -> Engine:
    ruleset = RuleSet()
    load_rules_text(ruleset, textwrap.dedent(yaml_text), "test.yaml")
    return Engine(ruleset, SOURCE, rule_matching=matching, strict=strict)


def _matches(condition: str, event: dict[str, Any]) -> bool:
    engine = _engine(
        f"""
        - rule: r
          desc: d
          condition: {condition}
          output: o
          priority: INFO
          source: test
        """
    )
    return bool(engine.evaluate(event))


@pytest.mark.parametrize(
    ("condition", "event", "expected"),
    [
        ("t.s = abc", {"s": "abc"}, True),
        ("t.s == abc", {"s": "abd"}, False),
        ("t.s != abc", {"s": "abd"}, True),
        ("t.s != abc", {}, False),  # a missing field makes every comparison false
        ("not t.s = abc", {}, True),
        ("t.n < 10", {"n": 3}, True),
        ("t.n <= 3", {"n": 3}, True),
        ("t.n > 3", {"n": 3}, False),
        ("t.n >= 3", {"n": "3"}, True),
        ("t.s contains bc", {"s": "abcd"}, True),
        ("t.s icontains BC", {"s": "abcd"}, True),
        ("t.s bcontains 6263", {"s": "abcd"}, True),
        ("t.s startswith ab", {"s": "abcd"}, True),
        ("t.s bstartswith 6162", {"s": "abcd"}, True),
        ("t.s endswith cd", {"s": "abcd"}, True),
        ("t.path glob '/etc/*.conf'", {"path": "/etc/x.conf"}, True),
        ("t.path iglob '/ETC/*'", {"path": "/etc/x"}, True),
        ("t.s in (a, b, 'c d')", {"s": "c d"}, True),
        ("t.s in (a, b)", {"s": "c"}, False),
        ("t.s intersects (a, b)", {"s": "b"}, True),
        ("t.path pmatch (/etc, /usr/lib)", {"path": "/etc/passwd"}, True),
        ("t.path pmatch (/etc)", {"path": "/etcetera"}, False),
        ("t.s exists", {"s": ""}, True),
        ("t.s exists", {}, False),
        ("t.s regex '[a-c]+d'", {"s": "abcd"}, True),
        ("t.s regex 'b'", {"s": "abcd"}, False),  # RE2 full match, like Falco
        ("t.l in (a, b)", {"l": ["a", "b"]}, True),  # every value in the set
        ("t.l in (a)", {"l": ["a", "b"]}, False),
        ("t.l intersects (b, z)", {"l": ["a", "b"]}, True),
        ("t.l = b", {"l": ["a", "b"]}, True),  # any value
        ("t.l[1] = b", {"l": ["a", "b"]}, True),
        ("t.l[0] = b", {"l": ["a", "b"]}, False),
        ("t.m[key] = v", {"m": {"key": "v"}}, True),
        ("t.b = true", {"b": True}, True),
        ("t.ip in (10.0.0.0/8)", {"ip": "10.1.2.3"}, True),
        ("t.net = 192.168.0.0/16", {"net": "10.1.2.3"}, False),
        ("(t.s = a or t.s = b) and not t.n = 1", {"s": "b", "n": 2}, True),
    ],
)
def test_operator(condition: str, event: dict[str, Any], expected: bool) -> None:
    assert _matches(condition, event) is expected


RULES = """
- required_engine_version: 0.26.0
- list: shells
  items: [bash, sh]
- list: more_shells
  items: [shells, zsh]
- macro: is_shell
  condition: t.s in (more_shells)
- rule: Shell
  desc: a shell ran
  condition: is_shell
  output: shell %t.s (n=%t.n first=%t.l[0])
  priority: WARNING
  source: test
  tags: [T1059, mitre_execution]
  exceptions:
    - name: trusted
      fields: [t.s, t.n]
      comps: ["=", in]
      values:
        - [zsh, [1, 2]]
- rule: Anything
  desc: every event
  condition: t.s exists
  output: any %t.s
  priority: INFO
  source: test
"""


def test_lists_macros_output_and_exceptions() -> None:
    engine = _engine(RULES)
    alerts = engine.evaluate({"s": "zsh", "n": 7, "l": ["x"]})
    assert [a.rule for a in alerts] == ["Shell", "Anything"]
    assert alerts[0].output == "shell zsh (n=7 first=x)"
    assert alerts[0].priority == "WARNING"
    # the exception (zsh with n in 1,2) removes the Shell alert
    assert [a.rule for a in engine.evaluate({"s": "zsh", "n": 2})] == ["Anything"]
    # missing output fields print <NA>
    assert engine.evaluate({"s": "bash"})[0].output == "shell bash (n=<NA> first=<NA>)"


def test_rule_matching_first_stops_at_first_rule_in_load_order() -> None:
    engine = _engine(RULES, matching="first")
    assert [a.rule for a in engine.evaluate({"s": "bash"})] == ["Shell"]


def test_append_and_override_follow_upstream_semantics() -> None:
    overlay = """
- list: shells
  items: [fish]
  append: true
- macro: is_shell
  condition: or t.s = ksh
  override:
    condition: append
- rule: Shell
  priority: CRITICAL
  output: "!"
  tags: [extra]
  override:
    priority: replace
    output: append
    tags: append
- rule: Anything
  enabled: false
"""
    ruleset = RuleSet()
    load_rules_text(ruleset, RULES, "base.yaml")
    load_rules_text(ruleset, overlay, "overlay.yaml")
    engine = Engine(ruleset, SOURCE, rule_matching="all", strict=True)
    fish = engine.evaluate({"s": "fish"})
    assert [a.rule for a in fish] == ["Shell"]
    assert fish[0].priority == "CRITICAL"
    assert fish[0].output.endswith("first=<NA>) !")
    assert fish[0].tags == ("T1059", "mitre_execution", "extra")
    assert [a.rule for a in engine.evaluate({"s": "ksh"})] == ["Shell"]


def test_later_macro_definition_replaces_earlier_one() -> None:
    ruleset = RuleSet()
    load_rules_text(ruleset, RULES, "base.yaml")
    load_rules_text(ruleset, "- macro: is_shell\n  condition: t.s = tcsh\n", "o.yaml")
    engine = Engine(ruleset, SOURCE, rule_matching="first", strict=True)
    assert [a.rule for a in engine.evaluate({"s": "bash"})] == ["Anything"]
    assert [a.rule for a in engine.evaluate({"s": "tcsh"})] == ["Shell"]


BROKEN = """
- rule: Good
  desc: d
  condition: t.s = a
  output: ok
  priority: INFO
  source: test
- rule: Bad Field
  desc: d
  condition: t.nope = a
  output: x
  priority: INFO
  source: test
- rule: Bad Syntax
  desc: d
  condition: t.s = = (
  output: x
  priority: INFO
  source: test
"""


def test_broken_rules_are_disabled_with_file_line_and_name() -> None:
    engine = _engine(BROKEN, strict=False)
    problems = {p.name: p for p in engine.problems}
    assert set(problems) == {"Bad Field", "Bad Syntax"}
    assert problems["Bad Field"].file == "test.yaml"
    assert problems["Bad Field"].line == 8
    assert "unknown field t.nope" in problems["Bad Field"].message
    assert problems["Bad Syntax"].line == 14
    assert [a.rule for a in engine.evaluate({"s": "a"})] == ["Good"]


def test_strict_makes_a_broken_rule_fatal() -> None:
    with pytest.raises(InputError, match=r"test.yaml:8: Bad Field: unknown field"):
        _engine(BROKEN, strict=True)


def test_rules_file_that_is_not_yaml_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not valid YAML"):
        load_rules_text(RuleSet(), "- rule: [unclosed\n", "bad.yaml")


def test_condition_syntax_error_says_where() -> None:
    with pytest.raises(ConditionSyntaxError, match="column"):
        parse_condition("a and (b or")


def test_rule_index_skips_rules_whose_constraints_the_event_misses() -> None:
    engine = _engine(
        """
        - rule: One
          desc: d
          condition: t.s = one and t.n > 0
          output: o
          priority: INFO
          source: test
        - rule: Two
          desc: d
          condition: (t.s = two or t.s = three) and t.n > 0
          output: o
          priority: INFO
          source: test
        """
    )
    program = engine.program
    assert [program.slot_names[s] for s in program.index_slots] == ["t.s"]
    cache = program.new_cache({"s": "three", "n": 1})
    assert [r.name for r in program.candidates(cache)] == ["Two"]


def test_skip_if_unknown_filter_skips_silently() -> None:
    engine = _engine(
        """
        - rule: Newer Field
          desc: uses a field this source does not have
          condition: t.future = 1
          output: o
          priority: INFO
          source: test
          skip-if-unknown-filter: true
        - rule: Known
          desc: d
          condition: t.s = a
          output: o
          priority: INFO
          source: test
        """,
        strict=True,
    )
    assert engine.problems == []
    assert [a.rule for a in engine.evaluate({"s": "a"})] == ["Known"]


def test_k8saudit_pod_fields_follow_the_plugin() -> None:
    from seawall.detect.sources import get_source

    source = get_source("k8saudit")
    event = {
        "kind": "Event",
        "verb": "create",
        "requestURI": "/api/v1/namespaces/ns/pods/p/exec?command=sh&command=-c&stdin=true",
        "objectRef": {"resource": "pods", "namespace": "ns", "name": "p"},
        "requestObject": {
            "spec": {
                "hostPID": True,
                "securityContext": {"runAsUser": 1000},
                "containers": [
                    {
                        "name": "a",
                        "image": "registry.io:5000/team/app:1.2@sha256:abc",
                        "securityContext": {
                            "privileged": True,
                            "capabilities": {"add": ["NET_ADMIN"]},
                        },
                        "ports": [{"containerPort": 80, "hostPort": 8080}],
                    },
                    {"name": "b", "image": "busybox", "securityContext": {"runAsUser": 0}},
                ],
                "volumes": [{"name": "v", "hostPath": {"path": "/var/run/docker.sock"}}],
            }
        },
    }

    def get(name: str, arg: str | None = None) -> Any:
        return source.fields[name].extract(event, arg)

    assert get("ka.req.pod.containers.image.repository") == ["registry.io:5000/team/app", "busybox"]
    assert get("ka.req.pod.containers.image", "1") == "busybox"
    assert get("ka.req.pod.containers.privileged") == ["true", "false"]
    assert get("ka.req.container.privileged") == "true"
    assert get("ka.req.pod.containers.add_capabilities") == ["NET_ADMIN"]
    assert get("ka.req.pod.containers.host_port") == ["8080"]
    assert get("ka.req.pod.containers.eff_run_as_user") == ["1000", "0"]
    assert get("ka.req.pod.host_pid") == "true"
    assert get("ka.req.pod.host_network") == "false"
    assert get("ka.req.volume.hostpath", "/var/run/docker.sock") == "true"
    assert get("ka.req.volume.hostpath", "/proc*") == "false"
    assert get("ka.uri.param", "command") == "sh"
    assert get("jevt.value", "/requestObject/spec/containers/1/name") == "b"
    assert get("ka.target.subresource") is MISSING


def test_absurdly_nested_condition_is_a_rule_error_not_a_crash() -> None:
    parens = "(" * 3000 + "t.s = a" + ")" * 3000  # redundant parentheses collapse
    negations = "not " * 4000 + "t.s = a"  # a 4000-deep tree does not
    engine = _engine(
        f"""
        - rule: Parens
          desc: d
          condition: "{parens}"
          output: o
          priority: INFO
          source: test
        - rule: Deep
          desc: d
          condition: "{negations}"
          output: o
          priority: INFO
          source: test
        """,
        strict=False,
    )
    assert [p.name for p in engine.problems] == ["Deep"]
    assert [a.rule for a in engine.evaluate({"s": "a"})] == ["Parens"]


def test_rules_may_use_lists_and_macros_defined_later() -> None:
    # upstream collects every file before compiling: falco_rules.yaml's "Run shell
    # untrusted" uses user_shell_container_exclusions and known_shell_spawn_cmdlines,
    # both defined further down the file
    engine = _engine(
        """
        - rule: Early
          desc: d
          condition: later_macro and t.s in (later_list)
          output: o
          priority: INFO
          source: test
        - macro: later_macro
          condition: t.n > 1
        - list: later_list
          items: [a, b]
        """
    )
    assert [a.rule for a in engine.evaluate({"s": "b", "n": 2})] == ["Early"]
    assert engine.evaluate({"s": "later_list", "n": 2}) == []


def test_output_renders_json_values_as_the_extractor_does() -> None:
    from seawall_testlib import DATA

    from seawall.detect.falco.rules import load_rules_files
    from seawall.detect.sources import get_source

    rules = DATA / "detect" / "rules" / "k8s_audit_rules.yaml"
    engine = Engine(load_rules_files([rules]), get_source("k8saudit"), rule_matching="all")
    line = DATA / "detect" / "events" / "k8s_audit" / "create_nginx_pod_sensitive_mount.json"
    import json as _json

    event = _json.loads(line.read_text())
    (alert,) = [a for a in engine.evaluate(event) if a.rule == "Create Sensitive Mount Pod"]
    volumes = event["requestObject"]["spec"]["volumes"]
    assert alert.output.endswith("volumes=" + _json.dumps(volumes, separators=(",", ":")) + ")"), (
        alert.output
    )
