"""What a user types: `seawall detect --help`, the issue's commands verbatim, `--cluster`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from seawall_testlib import DATA, run_seawall

D = DATA / "detect"
K8S = D / "events" / "k8s_audit"
TETRAGON = D / "events" / "tetragon"


def test_detect_help_shows_the_options_of_detect_files() -> None:
    done = run_seawall("detect", "--help")
    assert done.returncode == 0
    text = done.stdout.decode()
    for option in ("--source", "--rules", "--format", "--output", "--fail-on", "--baseline"):
        assert option in text, option
    for option in ("--profile", "--learn-for", "--image-files", "--dedupe", "--rule-matching"):
        assert option in text, option
    assert "serve" in text and "merge-profiles" in text and "image-files" in text
    assert "detect run" not in text  # the hidden command is not what users are told to type


def _one_line_json(path: Path) -> str:
    return json.dumps(json.loads(path.read_text()))


def test_the_issues_commands_work_verbatim(tmp_path: Path) -> None:
    shutil.copy(D / "rules" / "k8s_audit_rules.yaml", tmp_path)
    shutil.copy(D / "rules" / "falco_rules.yaml", tmp_path)
    audit = b"".join(p.read_bytes().rstrip(b"\n") + b"\n" for p in sorted(K8S.glob("create_*")))
    (tmp_path / "audit.log").write_bytes(audit)
    learned = [
        _one_line_json(p) for p in sorted((TETRAGON / "01_reaching_the_host_namespace").glob("*"))
    ]
    (tmp_path / "tetragon-export.jsonl").write_text("\n".join(learned) + "\n")
    later = TETRAGON / "02_persistance" / "merlin-agent-insert-pod-spec.json"  # cat
    (tmp_path / "events.jsonl").write_text("\n".join([*learned, _one_line_json(later)]) + "\n")

    def seawall(command: str) -> bytes:
        argv = command.split()
        assert argv[0] == "seawall"
        done = run_seawall(*argv[1:], cwd=tmp_path)
        assert done.returncode == 0, (command, done.stderr)
        return done.stdout

    report = json.loads(
        seawall(
            "seawall detect --rules k8s_audit_rules.yaml --source k8saudit audit.log --format json"
        )
    )
    assert report["summary"]["events"] >= 20
    assert any(f["rule"] == "Create Privileged Pod" for f in report["findings"])
    table = seawall(
        "seawall detect --rules falco_rules.yaml --source tetragon tetragon-export.jsonl"
    ).decode()
    assert "6 events" in table
    # learn a baseline from the audit log, then from tetragon, and enforce it on tetragon events
    seawall("seawall detect --source k8saudit audit.log --baseline learn --profile profiles.json")
    assert json.loads((tmp_path / "profiles.json").read_text())["version"] == 1
    seawall(
        "seawall detect --source tetragon tetragon-export.jsonl --baseline learn "
        "--profile profiles.json"
    )
    profile = json.loads((tmp_path / "profiles.json").read_text())
    assert profile["version"] == 2
    assert (
        "/usr/bin/nsenter"
        in profile["workloads"]["default/privileged-pod/privileged-pod"]["process"]
    )
    enforced = seawall(
        "seawall detect --source tetragon events.jsonl --baseline enforce --profile profiles.json"
    ).decode()
    assert "Anomaly: New Process Executed" in enforced
    assert "/usr/bin/cat" in enforced and "profiles.json" in enforced
    assert "6 events" not in enforced and "7 events" in enforced


def test_cluster_names_the_cluster_in_fields_and_assets(tmp_path: Path) -> None:
    rules = tmp_path / "cluster.yaml"
    rules.write_text(
        "- rule: Secret in prod\n"
        "  desc: a secret created in the prod cluster\n"
        "  condition: ka.verb=create and ka.cluster.name=prod-eu\n"
        "  output: secret in %ka.cluster.name by %ka.user.name\n"
        "  priority: WARNING\n"
        "  source: k8s_audit\n"
    )
    event = str(K8S / "create_kube_system_secret.json")
    base = ("detect", "--rules", str(rules), "--source", "k8saudit", event, "--format", "json")
    named = run_seawall(*base, "--cluster", "prod-eu")
    assert named.returncode == 0, named.stderr
    [finding] = json.loads(named.stdout)["findings"]
    assert finding["evidence"] == "secret in prod-eu by admin"
    assert finding["asset"].startswith("k8s:prod-eu/kube-system/secrets/")
    unnamed = run_seawall(*base)  # without --cluster the field is missing: no match
    assert unnamed.returncode == 0
    assert json.loads(unnamed.stdout)["findings"] == []
    wrong = run_seawall(
        "detect",
        "--source",
        "tetragon",
        str(TETRAGON / "testdata_events.jsonl"),
        "--cluster",
        "prod-eu",
    )
    assert wrong.returncode == 2
    assert b"--cluster" in wrong.stderr


def test_progress_goes_to_a_terminal_stderr_and_never_into_stdout(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys
    import threading

    from seawall_testlib import REPO

    line = (K8S / "create_nginx_pod_privileged.json").read_bytes().strip()
    (tmp_path / "many.log").write_bytes((line + b"\n") * 20000)
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "120"}
    rules = str(D / "rules" / "k8s_audit_rules.yaml")
    argv = [sys.executable, "-m", "seawall", "detect", "--rules", rules, "--source", "k8saudit"]
    drawn = bytearray()

    def read_terminal() -> None:  # drain the terminal so the child never blocks on it
        try:
            while chunk := os.read(leader, 65536):
                drawn.extend(chunk)
        except OSError:
            pass  # the terminal closed

    reader = threading.Thread(target=read_terminal)
    reader.start()
    done = subprocess.run(
        [*argv, str(tmp_path / "many.log"), "--format", "jsonl"],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
        timeout=120,
        check=False,
    )
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    assert done.returncode == 0
    records = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(records) == 20000
    assert b"many.log" in drawn and b"MB" in drawn  # a bar by bytes read, on the terminal


def test_every_detect_verb_takes_format_and_output(tmp_path: Path) -> None:
    profile = tmp_path / "p.json"
    learned = run_seawall(
        "detect", "--source", "k8saudit", str(K8S / "create_secret.json"),
        "--baseline", "learn", "--profile", str(profile), "--format", "json",
    )  # fmt: skip
    assert learned.returncode == 0, learned.stderr
    assert json.loads(learned.stdout)["baseline"]["mode"] == "learn"
    merged = tmp_path / "merged.json"
    done = run_seawall(
        "detect", "merge-profiles", str(profile), "--format", "json", "--output", str(merged)
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(merged.read_text())["version"] == 2
    table = run_seawall("detect", "merge-profiles", str(profile), "--format", "table")
    assert table.returncode == 2 and b"--format" in table.stderr
    assert table.stdout == b""


def test_alerts_on_creates_name_the_created_object() -> None:
    rules = str(D / "rules" / "k8s_audit_rules.yaml")
    event = str(K8S / "create_nginx_pod_privileged.json")
    done = run_seawall(
        "detect", "--rules", rules, "--source", "k8saudit", event, "--cluster", "prod",
        "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [finding] = json.loads(done.stdout)["findings"]
    assert finding["rule"] == "Create Privileged Pod"
    # objectRef of a create has no name; the response names the pod the API server made
    assert finding["asset"] == "k8s:prod/default/pods/nginx-deployment-5cdcc99dbf-rgw6z"


def test_usage_errors_name_the_command_users_type() -> None:
    done = run_seawall("detect", "--source", "k8saudit")  # no event files
    assert done.returncode == 2
    assert b"seawall detect [OPTIONS]" in done.stderr
    assert b"detect run" not in done.stderr
    helped = run_seawall("detect", "--source", "k8saudit", "--help")
    assert helped.returncode == 0 and b"detect run" not in helped.stdout


def test_an_unwritable_output_fails_before_reading_the_events(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    for extra in (["--output", str(missing / "out.json")],
                  ["--baseline", "learn", "--profile", str(missing / "p.json")]):  # fmt: skip
        done = run_seawall("detect", "--source", "k8saudit", "-", *extra, input=b"not json\n")
        assert done.returncode == 2
        # the stream was never read: no complaint about its first line, only the directory
        assert done.stderr.decode().strip() == (
            f"seawall: error: cannot write {extra[-1]}: directory {missing} does not exist"
        )
