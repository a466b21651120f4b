"""`seawall detect` end to end: sources, formats, exit codes, bad input, upstream rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from seawall_testlib import DATA, run_seawall

from seawall.detect.engine import Engine
from seawall.detect.falco.rules import load_rules_files
from seawall.detect.sources import get_source

D = DATA / "detect"
RULES = D / "rules"
EVENTS = D / "events"
K8S = EVENTS / "k8s_audit"
TETRAGON = EVENTS / "tetragon"


@pytest.mark.parametrize(
    ("source", "files"),
    [
        ("k8saudit", ["k8s_audit_rules.yaml"]),
        ("k8saudit", ["k8s_audit_rules.yaml", "k8s_audit_rules_gke.yaml"]),
        ("tetragon", ["falco_rules.yaml"]),
        ("tetragon", ["falco-incubating_rules.yaml"]),
        ("tetragon", ["falco-sandbox_rules.yaml"]),
        ("falco", ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"]),
        ("cloudtrail", ["aws_cloudtrail_rules.yaml"]),
        ("gcpaudit", ["gcp_auditlog_rules.yaml"]),
    ],
)
def test_every_upstream_rules_file_loads_without_error(source: str, files: list[str]) -> None:
    ruleset = load_rules_files([RULES / f for f in files])
    engine = Engine(ruleset, get_source(source), strict=True)
    assert not engine.problems
    expected = {
        "k8s_audit_rules.yaml": 48,
        "aws_cloudtrail_rules.yaml": 20,  # 22 rules, 2 disabled upstream
        "gcp_auditlog_rules.yaml": 39,
    }
    if len(files) == 1 and files[0] in expected:
        assert engine.rule_count == expected[files[0]]


def _json(*args: str) -> dict[str, object]:
    proc = run_seawall("detect", *args, "--format", "json")
    assert proc.returncode == 0, proc.stderr.decode()
    doc: dict[str, object] = json.loads(proc.stdout)
    return doc


def test_k8saudit_json_report_is_pinned() -> None:
    doc = _json(
        "--rules",
        str(RULES / "k8s_audit_rules.yaml"),
        "--source",
        "k8saudit",
        str(K8S / "create_nginx_pod_privileged.json"),
    )
    assert doc["schema"] == "seawall.detect/v1"
    # the documented top level (docs/json-schema.md, detect section)
    assert set(doc) == {
        "schema",
        "source",
        "rules_files",
        "summary",
        "findings",
        "bad_lines",
        "rule_errors",
        "baseline",
        "errors",
    }
    assert doc["errors"] == []
    assert doc["source"] == "k8saudit"
    assert doc["rules_files"] == [str(RULES / "k8s_audit_rules.yaml")]
    assert doc["bad_lines"] == doc["rule_errors"] == []
    assert doc["baseline"] is None
    assert doc["summary"] == {
        "events": 1,
        "alerts": 1,
        "bad_lines": 0,
        "suppressed": 0,
        "rules_loaded": 48,
        "rule_errors": 0,
    }
    (finding,) = doc["findings"]  # type: ignore[misc]
    assert finding["type"] == "threat"
    assert finding["rule"] == "Create Privileged Pod"
    assert finding["severity"] == "medium"
    assert finding["layer"] == "platform"
    assert finding["task"] == "threat-detection"
    assert finding["asset"].startswith("k8s:cluster/default/pods/")
    details = finding["details"]
    assert set(details) == {
        "rule",
        "priority",
        "output",
        "time",
        "source",
        "tags",
        "mitre",
        "input",
        "line",
    }
    assert details["mitre"] == {"techniques": [], "tactics": []}
    assert details["priority"] == "WARNING"
    assert details["source"] == "k8saudit"
    assert details["time"] == "2018-10-25T14:09:12.581541Z"
    assert details["tags"] == ["k8s"]
    assert details["output"].startswith("Pod started with privileged container (user=")
    assert "images=(nginx)" in details["output"]
    assert details["line"] == 1


def test_rule_matching_all_reports_every_matching_rule() -> None:
    args = ["--rules", str(RULES / "k8s_audit_rules.yaml"), "--source", "k8saudit"]
    event = str(K8S / "anonymous_creates_namespace_foo.json")
    first = _json(*args, event)
    every = _json(*args, "--rule-matching", "all", event)
    # upstream default: only the first matching rule in load order fires
    assert [f["rule"] for f in first["findings"]] == ["Anonymous Request Allowed"]  # type: ignore[attr-defined]
    assert [f["rule"] for f in every["findings"]] == [  # type: ignore[attr-defined]
        "Anonymous Request Allowed",
        "Create Disallowed Namespace",
        "K8s Namespace Created",
    ]


def test_eventlist_batches_and_malformed_lines_are_counted(tmp_path: Path) -> None:
    events = [json.loads(line) for line in (K8S / "create_configmap_sensitive_values.json").open()]
    batch = {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": events[:3]}
    log = tmp_path / "audit.log"
    log.write_text(
        json.dumps(batch) + "\nthis is not json\n" + "\n".join(json.dumps(e) for e in events[3:])
    )
    proc = run_seawall(
        "detect",
        "--rules",
        str(RULES / "k8s_audit_rules.yaml"),
        "--source",
        "k8saudit",
        str(log),
        "--format",
        "json",
    )
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["summary"]["events"] == 6
    assert doc["bad_lines"] == [
        {"input": str(log), "line": 2, "reason": doc["bad_lines"][0]["reason"]}
    ]
    assert f"{log}:2: skipped" in proc.stderr.decode()
    rules = [f["rule"] for f in doc["findings"]]
    assert rules.count("Create/Modify Configmap With Private Credentials") == 6


def test_ocsf_records_are_detection_findings(tmp_path: Path) -> None:
    import jsonschema

    out = tmp_path / "alerts.ocsf.jsonl"
    proc = run_seawall(
        "detect",
        "--rules",
        str(RULES / "k8s_audit_rules.yaml"),
        "--source",
        "k8saudit",
        *[str(p) for p in sorted(K8S.glob("create_*.json"))],
        "--format",
        "ocsf",
        "--output",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) > 10
    for record in records:
        jsonschema.validate(record, OCSF_DETECTION_FINDING)
    assert {r["finding_info"]["title"] for r in records} >= {"Create Privileged Pod"}


# The OCSF 1.1.0 Detection Finding (2004) attributes seawall emits, with their requirement
# levels and enums from the OCSF schema (schema.ocsf.io/1.1.0/classes/detection_finding).
OCSF_DETECTION_FINDING = {
    "type": "object",
    "required": [
        "activity_id",
        "category_uid",
        "class_uid",
        "finding_info",
        "metadata",
        "severity_id",
        "time",
        "type_uid",
    ],
    "properties": {
        "class_uid": {"const": 2004},
        "category_uid": {"const": 2},
        "activity_id": {"enum": [0, 1, 2, 3, 99]},
        "type_uid": {"const": 200401},
        "severity_id": {"enum": [0, 1, 2, 3, 4, 5, 6, 99]},
        "severity": {
            "enum": ["Unknown", "Informational", "Low", "Medium", "High", "Critical", "Fatal"]
        },
        "status_id": {"enum": [0, 1, 2, 3, 4, 99]},
        "time": {"type": "integer", "minimum": 0},
        "message": {"type": "string"},
        "finding_info": {
            "type": "object",
            "required": ["uid", "title"],
            "properties": {
                "uid": {"type": "string"},
                "title": {"type": "string"},
                "analytic": {
                    "type": "object",
                    "required": ["type_id"],
                    "properties": {"type_id": {"enum": [0, 1, 2, 3, 4, 99]}},
                },
            },
        },
        "metadata": {
            "type": "object",
            "required": ["product", "version"],
            "properties": {
                "product": {"type": "object", "required": ["vendor_name"]},
                "version": {"type": "string"},
            },
        },
        "resources": {"type": "array", "items": {"type": "object", "required": ["uid"]}},
    },
}


def test_tetragon_exec_runs_falco_rules_with_mapped_fields() -> None:
    doc = _json(
        "--rules",
        str(RULES / "falco_rules.yaml"),
        "--rules",
        str(RULES / "falco-incubating_rules.yaml"),
        "--source",
        "tetragon",
        str(TETRAGON / "03_post_exploitation_techniques" / "merlin-agent-scp.json"),
    )
    (finding,) = doc["findings"]  # type: ignore[misc]
    assert finding["rule"] == "Launch Remote File Copy Tools in Container"
    assert "proc_exepath=/usr/bin/scp" in finding["evidence"]
    assert "user=root" in finding["evidence"]


def test_tetragon_fields_cover_process_container_k8s_and_network(tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text(
        """
- rule: Nsenter In Privileged Pod
  desc: host escape
  condition: >
    evt.type = execve and proc.name = nsenter and k8s.ns.name = default
    and container.image.repository = nginx and proc.args contains "-t 1"
  output: "%proc.cmdline pod=%k8s.pod.name image=%container.image ns=%k8s.ns.name"
  priority: CRITICAL
  tags: [T1611]
- rule: C2 Connection
  desc: outbound to 443
  condition: evt.type = connect and fd.sport = 443 and fd.sip = 34.116.205.187
  output: "%proc.exepath -> %fd.name"
  priority: ERROR
"""
    )
    doc = _json(
        "--rules",
        str(rules),
        "--source",
        "tetragon",
        str(TETRAGON / "01_reaching_the_host_namespace" / "privileged-pod-nsenter.json"),
        str(TETRAGON / "02_persistance" / "merlin-agent-go-connect.json"),
    )
    by_rule = {f["rule"]: f for f in doc["findings"]}  # type: ignore[attr-defined]
    assert by_rule["Nsenter In Privileged Pod"]["evidence"] == (
        "nsenter -t 1 -m -u -n -i -p bash pod=privileged-pod image=nginx:latest ns=default"
    )
    assert by_rule["Nsenter In Privileged Pod"]["details"]["mitre"]["techniques"] == ["T1611"]
    assert by_rule["Nsenter In Privileged Pod"]["asset"] == (
        "k8s:minikube/default/pod/privileged-pod/privileged-pod"
    )
    assert by_rule["C2 Connection"]["evidence"] == (
        "/tmp/go-build3518135900/b001/exe/main -> 10.88.0.3:43374->34.116.205.187:443"
    )


def test_cloudtrail_matches_upstream_plugin_test(tmp_path: Path) -> None:
    # falco 0.34.1 falco_tests_plugins.yaml detect_create_instance: 1 x INFO alert
    rules = tmp_path / "ct.yaml"
    _write_rule(
        rules,
        'evt.num > 0 and ct.name="StartInstances"',
        "EC2 Instance Create (user=%ct.user"
        " id=%json.value[/responseElements/instancesSet/items/0/instanceId])",
    )
    for name in ("alice_start_instances.json", "alice_start_instances_bigevent.json"):
        proc = run_seawall(
            "detect",
            "--rules",
            str(rules),
            "--source",
            "cloudtrail",
            str(EVENTS / "cloudtrail" / name),
            "--format",
            "json",
        )
        doc = json.loads(proc.stdout)
        assert doc["summary"]["rule_errors"] == 0
        assert doc["summary"]["events"] == 1
        assert [(f["rule"], f["details"]["priority"]) for f in doc["findings"]] == [
            ("Cloudtrail Create Instance", "INFORMATIONAL")
        ]
        assert doc["findings"][0]["evidence"] == "EC2 Instance Create (user=Alice id=i-ebeaf9e2)"


def _write_rule(path: Path, condition: str, output: str) -> None:
    import yaml

    rule = {
        "rule": "Cloudtrail Create Instance",
        "desc": "Detect Creating an EC2 Instance",
        "condition": condition,
        "output": output,
        "priority": "INFO",
        "source": "aws_cloudtrail",
    }
    path.write_text(yaml.safe_dump([rule]))


def test_cloudtrail_fields_and_asset(tmp_path: Path) -> None:
    rules = tmp_path / "ct.yaml"
    _write_rule(
        rules,
        'ct.name="StartInstances" and not ct.error exists',
        "EC2 Instance Create (user=%ct.user region=%ct.region"
        " id=%json.value[/responseElements/instancesSet/items/0/instanceId])",
    )
    doc = _json(
        "--rules",
        str(rules),
        "--source",
        "cloudtrail",
        str(EVENTS / "cloudtrail" / "alice_start_instances.json"),
    )
    (finding,) = doc["findings"]  # type: ignore[misc]
    assert finding["evidence"] == "EC2 Instance Create (user=Alice region=us-east-2 id=i-ebeaf9e2)"
    assert finding["severity"] == "info"
    assert finding["layer"] == "infrastructure"
    assert finding["asset"] == "aws:123456789012/us-east-2/ec2"


def test_gcpaudit_rule_fires_on_audit_log_entry(tmp_path: Path) -> None:
    entry = {
        "protoPayload": {
            "serviceName": "iam.googleapis.com",
            "methodName": "google.iam.admin.v1.CreateServiceAccountKey",
            "authenticationInfo": {"principalEmail": "mallory@example.com"},
            "requestMetadata": {"callerIp": "203.0.113.9"},
            "resourceName": "projects/p1/serviceAccounts/sa@p1.iam.gserviceaccount.com",
        },
        "resource": {"type": "service_account", "labels": {"project_id": "p1"}},
        "timestamp": "2024-05-01T10:00:00Z",
    }
    log = tmp_path / "gcp.jsonl"
    log.write_text(json.dumps(entry) + "\n")
    doc = _json("--rules", str(RULES / "gcp_auditlog_rules.yaml"), "--source", "gcpaudit", str(log))
    rules = [f["rule"] for f in doc["findings"]]  # type: ignore[attr-defined]
    assert rules, doc
    assert "mallory@example.com" in doc["findings"][0]["evidence"]  # type: ignore[index]


def test_dedupe_suppresses_identical_alerts_within_window(tmp_path: Path) -> None:
    line = (K8S / "create_nginx_pod_privileged.json").read_text().strip()
    log = tmp_path / "audit.log"
    log.write_text("\n".join([line] * 5) + "\n")
    args = ["--rules", str(RULES / "k8s_audit_rules.yaml"), "--source", "k8saudit", str(log)]
    assert len(_json(*args)["findings"]) == 5  # type: ignore[arg-type]
    doc = _json(*args, "--dedupe", "60s")
    assert len(doc["findings"]) == 1  # type: ignore[arg-type]
    assert doc["summary"]["suppressed"] == 4  # type: ignore[index]


def test_fail_on_exit_code() -> None:
    args = [
        "detect",
        "--rules",
        str(RULES / "k8s_audit_rules.yaml"),
        "--source",
        "k8saudit",
        str(K8S / "create_nginx_pod_privileged.json"),
        "--format",
        "json",
    ]
    assert run_seawall(*args, "--fail-on", "medium").returncode == 1
    assert run_seawall(*args, "--fail-on", "high").returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "nosuch", "x.log"], "unknown event source 'nosuch'"),
        (["--source", "k8saudit", "--rules", "NOT_YAML", "EVENTS"], "not valid YAML"),
        (["--source", "k8saudit", "NOT_JSON"], "audit.log:1: not a k8saudit event stream"),
        (["--source", "k8saudit", "missing.log"], "cannot read event file"),
        (["--source", "k8saudit", "--rules", "BROKEN", "--strict", "EVENTS"], "unknown field"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    not_yaml = tmp_path / "rules.yaml"
    not_yaml.write_text("- rule: [oops\n")
    not_json = tmp_path / "audit.log"
    not_json.write_text("<html>nope</html>\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "- rule: B\n  desc: d\n  condition: ka.nope = 1\n  output: o\n  priority: INFO\n"
        "  source: k8s_audit\n"
    )
    subst = {
        "NOT_YAML": str(not_yaml),
        "NOT_JSON": str(not_json),
        "BROKEN": str(broken),
        "EVENTS": str(K8S / "attach_pod.json"),
        "missing.log": str(tmp_path / "missing.log"),
    }
    out = tmp_path / "out.json"
    proc = run_seawall("detect", *[subst.get(a, a) for a in args], "--output", str(out))
    assert proc.returncode == 2
    err = proc.stderr.decode().strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert not out.exists()


def test_broken_rule_without_strict_is_disabled_and_others_run(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "- rule: Broken\n  desc: d\n  condition: ka.nope = 1\n  output: o\n  priority: INFO\n"
        "  source: k8s_audit\n"
    )
    proc = run_seawall(
        "detect",
        "--rules",
        str(RULES / "k8s_audit_rules.yaml"),
        "--rules",
        str(broken),
        "--source",
        "k8saudit",
        str(K8S / "attach_pod.json"),
        "--format",
        "json",
    )
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["rule_errors"] == [
        {
            "file": str(broken),
            "line": 1,
            "rule": "Broken",
            "message": doc["rule_errors"][0]["message"],
        }
    ]
    assert "unknown field ka.nope" in doc["rule_errors"][0]["message"]
    assert f"{broken}:1: Broken: unknown field ka.nope" in proc.stderr.decode()
    assert [f["rule"] for f in doc["findings"]] == ["Attach/Exec Pod"]


def test_table_output_lists_alerts() -> None:
    proc = run_seawall(
        "detect",
        "--rules",
        str(RULES / "k8s_audit_rules.yaml"),
        "--source",
        "k8saudit",
        str(K8S / "attach_pod.json"),
    )
    assert proc.returncode == 0
    text = proc.stdout.decode()
    assert "Attach/Exec Pod" in text
    assert "NOTICE" in text
    assert "1 events, 1 alerts" in text


def test_tetragon_file_write_kprobe_reads_as_open_write(tmp_path: Path) -> None:
    exec_event = json.loads(
        (TETRAGON / "02_persistance" / "merlin-agent-insert-pod-spec.json").read_text()
    )
    process = exec_event["process_exec"]["process"]
    kprobe = {
        "process_kprobe": {
            "process": process,
            "function_name": "security_file_permission",
            "args": [
                {"file_arg": {"path": "/etc/kubernetes/manifests/merlin-agent.yaml"}},
                {"int_arg": 2},
            ],
            "action": "KPROBE_ACTION_POST",
        },
        "node_name": "minikube",
        "time": "2022-01-19T11:26:12.600Z",
    }
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(kprobe) + "\n")
    rules = tmp_path / "r.yaml"
    rules.write_text(
        """
- macro: open_write
  condition: >
    (evt.type in (open,openat,openat2) and evt.is_open_write=true
    and fd.typechar='f' and fd.num>=0)
- rule: Write Static Pod Manifest
  desc: persistence through a static pod
  condition: open_write and fd.directory = /etc/kubernetes/manifests and container.id != host
  output: "%proc.name wrote %fd.name (file=%fd.filename pod=%k8s.pod.name)"
  priority: CRITICAL
  tags: [T1543]
"""
    )
    doc = _json("--rules", str(rules), "--source", "tetragon", str(events))
    (finding,) = doc["findings"]  # type: ignore[misc]
    assert finding["evidence"] == (
        "cat wrote /etc/kubernetes/manifests/merlin-agent.yaml "
        "(file=merlin-agent.yaml pod=privileged-pod)"
    )
    assert finding["severity"] == "critical"


def test_webhook_delivery_retries_until_accepted(tmp_path: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[dict[str, object]] = []
    attempts = {"n": 0}

    class Flaky(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            attempts["n"] += 1
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if attempts["n"] == 1:  # the first delivery fails: seawall retries
                self.send_response(503)
                self.end_headers()
                return
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

    server = HTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        proc = run_seawall(
            "detect",
            "--rules",
            str(RULES / "k8s_audit_rules.yaml"),
            "--source",
            "k8saudit",
            str(K8S / "attach_pod.json"),
            "--webhook",
            f"http://127.0.0.1:{server.server_address[1]}/alerts",
            "--format",
            "json",
        )
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr
    assert attempts["n"] == 2
    assert [r["rule"] for r in received] == ["Attach/Exec Pod"]
    assert received[0]["type"] == "threat"


def test_a_bad_first_line_does_not_hide_the_events_after_it(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_text("garbage\n" + (K8S / "attach_pod.json").read_text())
    doc = _json("--rules", str(RULES / "k8s_audit_rules.yaml"), "--source", "k8saudit", str(log))
    assert doc["summary"]["events"] == 1  # type: ignore[index]
    assert [b["line"] for b in doc["bad_lines"]] == [1]  # type: ignore[attr-defined]
    assert [f["rule"] for f in doc["findings"]] == ["Attach/Exec Pod"]  # type: ignore[attr-defined]


def test_hostile_nesting_is_a_bad_line_not_a_crash(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    deep = "[" * 100_000 + "]" * 100_000
    log.write_text(deep + "\n" + (K8S / "attach_pod.json").read_text())
    doc = _json("--rules", str(RULES / "k8s_audit_rules.yaml"), "--source", "k8saudit", str(log))
    assert doc["summary"]["events"] == 1  # type: ignore[index]
    assert doc["bad_lines"][0]["line"] == 1  # type: ignore[index]


def test_gzip_input_is_read_and_a_gzip_bomb_is_refused(tmp_path: Path) -> None:
    import gzip

    log = tmp_path / "audit.log.gz"
    log.write_bytes(gzip.compress((K8S / "attach_pod.json").read_bytes()))
    doc = _json("--rules", str(RULES / "k8s_audit_rules.yaml"), "--source", "k8saudit", str(log))
    assert [f["rule"] for f in doc["findings"]] == ["Attach/Exec Pod"]  # type: ignore[attr-defined]
    bomb = tmp_path / "bomb.log.gz"
    bomb.write_bytes(gzip.compress(b" " * (64 * 1024 * 1024), compresslevel=9))
    proc = run_seawall("detect", "--source", "k8saudit", str(bomb))
    assert proc.returncode == 2
    assert "decompresses to more than" in proc.stderr.decode()


def test_falco_and_sysdig_json_events_run_syscall_rules(tmp_path: Path) -> None:
    falco_alert = {
        "hostname": "node-1",
        "output": "...",
        "priority": "Notice",
        "rule": "Terminal shell in container",
        "source": "syscall",
        "time": "2024-05-01T10:00:00.000000000Z",
        "output_fields": {
            "evt.type": "execve",
            "evt.dir": "<",
            "proc.name": "bash",
            "proc.exepath": "/usr/bin/bash",
            "proc.pname": "runc",
            "proc.aname[2]": "containerd-shim",
            "container.id": "3ad7b26ded6d",
            "k8s.ns.name": "prod",
            "k8s.pod.name": "web-7d4b9c-x2x9z",
            "fd.sport": 443,
        },
    }
    sysdig_record = {"evt.type": "connect", "evt.dir": "<", "fd.sport": 4444, "proc.name": "nc"}
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(falco_alert) + "\n" + json.dumps(sysdig_record) + "\n")
    rules = tmp_path / "r.yaml"
    rules.write_text(
        """
- list: shell_binaries
  items: [bash, sh, zsh]
- rule: Shell Under Runc
  desc: d
  condition: >
    evt.type = execve and proc.name in (shell_binaries) and proc.aname[2] = containerd-shim
    and container.id != host
  output: "%proc.exepath in %k8s.ns.name/%k8s.pod.name (parent=%proc.pname)"
  priority: NOTICE
- rule: Reverse Shell Port
  desc: d
  condition: evt.type = connect and fd.sport in (4444, 1337)
  output: "%proc.name -> %fd.sport"
  priority: CRITICAL
"""
    )
    for source in ("falco", "sysdig"):
        doc = _json("--rules", str(rules), "--source", source, str(events))
        got = [(f["rule"], f["evidence"]) for f in doc["findings"]]  # type: ignore[attr-defined]
        assert got == [
            ("Shell Under Runc", "/usr/bin/bash in prod/web-7d4b9c-x2x9z (parent=runc)"),
            ("Reverse Shell Port", "nc -> 4444"),
        ]
        assert doc["findings"][0]["asset"] == "k8s:cluster/prod/pod/web-7d4b9c-x2x9z"  # type: ignore[index]


def test_unreadable_files_in_a_batch_are_reported_and_the_rest_still_evaluated(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "missing.log"
    a, b = K8S / "attach_pod.json", K8S / "create_nginx_pod_privileged.json"
    out = tmp_path / "out.json"
    base = ("detect", "--rules", str(RULES / "k8s_audit_rules.yaml"), "--source", "k8saudit")
    proc = run_seawall(
        *base, str(a), str(missing), str(b), str(tmp_path), "--format", "json",
        "--output", str(out), "--fail-on", "low",
    )  # fmt: skip
    # exit 2 (an input could not be read) outranks --fail-on's 1
    assert proc.returncode == 2
    assert proc.stderr.decode().strip().splitlines() == [
        f"seawall: error: {missing}: cannot read event file (No such file or directory)",
        f"seawall: error: {tmp_path}: cannot read event file (Is a directory)",
    ]
    doc = json.loads(out.read_text())
    assert doc["summary"]["events"] == 2  # both readable files were evaluated
    assert {f["rule"] for f in doc["findings"]} == {"Attach/Exec Pod", "Create Privileged Pod"}
    assert doc["errors"] == [
        {"input": str(missing), "reason": "cannot read event file (No such file or directory)"},
        {"input": str(tmp_path), "reason": "cannot read event file (Is a directory)"},
    ]
    # the table names the unreadable files too
    table = run_seawall(*base, str(a), str(missing))
    assert table.returncode == 2
    assert "1 unreadable file(s)" in table.stdout.decode()
    # every file unreadable: one line each, exit 2, nothing written
    out.unlink()
    proc = run_seawall(*base, str(missing), str(tmp_path), "--output", str(out))
    assert proc.returncode == 2
    assert len(proc.stderr.decode().strip().splitlines()) == 2
    assert not out.exists()


def test_a_rules_directory_loads_its_files_in_name_order_as_falco_does(tmp_path: Path) -> None:
    """`-r DIR` (Falco's rules.d): the files directly in it, sorted by name, links followed
    (rules.d links into rules.available), subdirectories not read; the same alerts as naming
    the files in that order."""
    rules_d = tmp_path / "rules.d"
    (rules_d / "nested").mkdir(parents=True)
    (rules_d / "nested" / "broken.yaml").write_text("- rule: [not, valid\n")
    (rules_d / "00-k8s_audit_rules.yaml").symlink_to(RULES / "k8s_audit_rules.yaml")
    # a later file turns a rule off: name order decides
    (rules_d / "50-local.yaml").write_text("- rule: Create Privileged Pod\n  enabled: false\n")
    events = [str(K8S / "create_nginx_pod_privileged.json"), str(K8S / "attach_pod.json")]
    by_dir = _json("--rules", str(rules_d), "--source", "k8saudit", *events)
    by_files = _json(
        "--rules",
        str(rules_d / "00-k8s_audit_rules.yaml"),
        "--rules",
        str(rules_d / "50-local.yaml"),
        "--source",
        "k8saudit",
        *events,
    )
    assert by_dir["findings"] == by_files["findings"]
    rules = {f["rule"] for f in by_dir["findings"]}  # type: ignore[attr-defined]
    assert "Create Privileged Pod" not in rules and "Attach/Exec Pod" in rules
    assert by_dir["rule_errors"] == []
    empty = tmp_path / "empty.d"
    empty.mkdir()
    proc = run_seawall("detect", "--rules", str(empty), "--source", "k8saudit", events[0])
    assert proc.returncode == 2
    assert (
        proc.stderr.decode().strip() == f"seawall: error: {empty}: rules directory holds no files"
    )


def test_progress_shows_an_event_file_name_with_brackets_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The progress bar's description column parsed rich markup: on a terminal, reading
    # audit[prod].json showed "audit.json" ("[prod]" taken as a style tag).
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich draws the bar as on a terminal
    events = tmp_path / "audit[prod].json"
    events.write_bytes((EVENTS / "k8s_audit" / "create_nginx_pod_privileged.json").read_bytes())
    rules = str(RULES / "k8s_audit_rules.yaml")
    done = run_seawall("detect", "-s", "k8saudit", "-r", rules, events.name, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert b"audit[prod].json" in done.stderr
    assert b"Create Privileged Pod" in done.stdout
