"""Anomaly baselines (learn / enforce) and binary drift against the image's file list."""

from __future__ import annotations

import json
from pathlib import Path

from seawall_testlib import DATA, run_seawall

EVENTS = DATA / "detect" / "events"
HOST = EVENTS / "tetragon" / "01_reaching_the_host_namespace"
K8S = EVENTS / "k8s_audit"
NGINX_DIGEST = "sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31"
WORKLOAD = "default/privileged-pod/privileged-pod"


def _detect(*args: str) -> dict[str, object]:
    proc = run_seawall("detect", *args, "--format", "json")
    assert proc.returncode == 0, proc.stderr.decode()
    doc: dict[str, object] = json.loads(proc.stdout)
    return doc


def test_learn_records_processes_per_workload_and_merges_versions(tmp_path: Path) -> None:
    profile = tmp_path / "profiles.json"
    learn = ["--source", "tetragon", "--baseline", "learn", "--profile", str(profile)]
    doc = _detect(*learn, str(HOST / "privileged-pod-init.json"))
    assert doc["baseline"]["version"] == 1  # type: ignore[index]
    saved = json.loads(profile.read_text())
    assert saved["schema"] == "seawall.detect-profile/v1"
    assert saved["workloads"][WORKLOAD]["process"] == ["/docker-entrypoint.sh"]
    _detect(*learn, str(HOST / "nginx-execution.json"), str(HOST / "privileged-pod-bash.json"))
    saved = json.loads(profile.read_text())
    assert saved["version"] == 2
    assert saved["workloads"][WORKLOAD]["process"] == [
        "/bin/bash",
        "/docker-entrypoint.sh",
        "/usr/sbin/nginx",
    ]
    assert saved["learning"] == {
        "from": "2022-01-19T11:05:54.378Z",
        "to": "2022-01-19T11:13:10.871Z",
    }


def test_enforce_alerts_once_per_workload_and_item_naming_the_baseline(tmp_path: Path) -> None:
    profile = tmp_path / "profiles.json"
    _detect(
        "--source",
        "tetragon",
        "--baseline",
        "learn",
        "--profile",
        str(profile),
        str(HOST / "privileged-pod-init.json"),
        str(HOST / "nginx-execution.json"),
        str(HOST / "privileged-pod-bash.json"),
    )
    nsenter = HOST / "privileged-pod-nsenter.json"
    doc = _detect(
        "--source",
        "tetragon",
        "--baseline",
        "enforce",
        "--profile",
        str(profile),
        str(HOST / "privileged-pod-bash.json"),
        str(nsenter),
        str(nsenter),
    )
    findings = doc["findings"]
    assert [f["rule"] for f in findings] == ["Anomaly: New Process Executed"]  # type: ignore[attr-defined]
    (finding,) = findings  # type: ignore[misc]
    assert finding["details"]["baseline"] == {
        "workload": WORKLOAD,
        "kind": "process",
        "item": "/usr/bin/nsenter",
        "known": 3,
        # the baseline that was violated: what the workload was seen running, and where from
        "known_items": ["/bin/bash", "/docker-entrypoint.sh", "/usr/sbin/nginx"],
        "profile": str(profile),
        "version": 1,
        "learned": {"from": "2022-01-19T11:05:54.378Z", "to": "2022-01-19T11:13:10.871Z"},
    }
    assert f"not in the baseline of workload {WORKLOAD}" in finding["evidence"]
    assert "version 1" in finding["evidence"]


def test_learn_for_window_stops_learning_after_the_window(tmp_path: Path) -> None:
    profile = tmp_path / "profiles.json"
    doc = _detect(
        "--source",
        "tetragon",
        "--baseline",
        "learn",
        "--profile",
        str(profile),
        "--learn-for",
        "1m",
        str(HOST / "privileged-pod-init.json"),
        str(HOST / "privileged-pod-bash.json"),  # 7 minutes later: outside the window
    )
    assert doc["baseline"]["events_after_window"] == 1  # type: ignore[index]
    saved = json.loads(profile.read_text())
    assert saved["workloads"][WORKLOAD]["process"] == ["/docker-entrypoint.sh"]


def test_k8saudit_baseline_tracks_api_actions_per_identity(tmp_path: Path) -> None:
    profile = tmp_path / "profiles.json"
    _detect(
        "--source",
        "k8saudit",
        "--baseline",
        "learn",
        "--profile",
        str(profile),
        str(K8S / "create_configmap.json"),
    )
    doc = _detect(
        "--source",
        "k8saudit",
        "--baseline",
        "enforce",
        "--profile",
        str(profile),
        str(K8S / "create_configmap.json"),
        str(K8S / "delete_configmap.json"),
    )
    rules = [(f["rule"], f["details"]["baseline"]["item"]) for f in doc["findings"]]  # type: ignore[attr-defined]
    assert rules == [("Anomaly: New Api Action", "delete configmaps")]


def test_enforce_needs_an_existing_profile(tmp_path: Path) -> None:
    proc = run_seawall(
        "detect",
        "--source",
        "tetragon",
        "--baseline",
        "enforce",
        "--profile",
        str(tmp_path / "none.json"),
        str(HOST / "privileged-pod-bash.json"),
    )
    assert proc.returncode == 2
    assert "profile does not exist" in proc.stderr.decode()


def test_drift_flags_exec_of_binary_not_in_the_image(tmp_path: Path) -> None:
    files = tmp_path / "image-files.json"
    files.write_text(
        json.dumps(
            {
                "schema": "seawall.image-files/v1",
                "images": {NGINX_DIGEST: ["/bin/bash", "/usr/sbin/nginx", "/docker-entrypoint.sh"]},
            }
        )
    )
    doc = _detect(
        "--source",
        "tetragon",
        "--image-files",
        str(files),
        str(HOST / "privileged-pod-bash.json"),
        str(HOST / "nginx-execution.json"),
        str(HOST / "privileged-pod-nsenter.json"),
        str(HOST / "host-namespace-bash.json"),
    )
    findings = doc["findings"]
    assert [f["rule"] for f in findings] == ["Drift Detected (exec of new binary)"]  # type: ignore[attr-defined]
    (finding,) = findings  # type: ignore[misc]
    # /usr/bin/bash is /bin/bash on a merged-/usr image, so only nsenter is new
    assert "exe=/usr/bin/nsenter" in finding["evidence"]
    assert finding["severity"] == "high"
    assert "T1059" in finding["details"]["tags"]


def test_drift_accepts_a_plain_file_list(tmp_path: Path) -> None:
    files = tmp_path / "files.json"
    files.write_text(json.dumps(["/usr/bin/nsenter"]))
    doc = _detect(
        "--source",
        "tetragon",
        "--image-files",
        str(files),
        str(HOST / "privileged-pod-nsenter.json"),
        str(HOST / "privileged-pod-bash.json"),
    )
    assert [f["evidence"].split("exe=")[1].split()[0] for f in doc["findings"]] == [  # type: ignore[attr-defined]
        "/bin/bash"
    ]


def test_profiles_from_two_runs_merge_into_one(tmp_path: Path) -> None:
    first, second, merged = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "m.json"
    learn = ["--source", "tetragon", "--baseline", "learn", "--profile"]
    _detect(*learn, str(first), str(HOST / "privileged-pod-init.json"))
    _detect(*learn, str(second), str(HOST / "nginx-execution.json"))
    proc = run_seawall("detect", "merge-profiles", str(first), str(second), "--output", str(merged))
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(merged.read_text())
    assert doc["version"] == 2
    assert doc["workloads"][WORKLOAD]["process"] == ["/docker-entrypoint.sh", "/usr/sbin/nginx"]
    assert doc["workloads"][WORKLOAD]["events"] == 2


def test_image_files_lists_the_final_file_system_for_drift(tmp_path: Path) -> None:
    from detect_images import docker_archive

    archive = tmp_path / "app.tar"
    image_id = docker_archive(
        archive,
        [
            {"/usr/bin/app": b"\x7fELF1", "/usr/bin/tool": b"\x7fELF2", "/etc/app.conf": b"x"},
            {"/usr/bin/.wh.tool": b"", "/usr/local/bin/helper": b"\x7fELF3"},
        ],
    )
    out = tmp_path / "image-files.json"
    proc = run_seawall("detect", "image-files", f"docker-archive:{archive}", "--output", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(out.read_text())
    assert doc == {
        "schema": "seawall.image-files/v1",
        "images": {image_id: ["/etc/app.conf", "/usr/bin/app", "/usr/local/bin/helper"]},
    }
    # keyed by the digest the runtime reports, the list drives drift detection
    proc = run_seawall(
        "detect",
        "image-files",
        f"docker-archive:{archive}",
        "--digest",
        NGINX_DIGEST,
        "--output",
        str(out),
    )
    assert proc.returncode == 0
    drift = _detect(
        "--source", "tetragon", "--image-files", str(out), str(HOST / "privileged-pod-nsenter.json")
    )
    assert [f["rule"] for f in drift["findings"]] == ["Drift Detected (exec of new binary)"]  # type: ignore[attr-defined]


def test_image_files_of_a_missing_image_is_an_input_error(tmp_path: Path) -> None:
    proc = run_seawall("detect", "image-files", f"docker-archive:{tmp_path / 'none.tar'}")
    assert proc.returncode == 2
    assert len(proc.stderr.decode().strip().splitlines()) == 1
