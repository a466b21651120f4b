"""Run Checkov 3.x (own venv, from scripts/setup.d/40-checkov.sh) on a corpus and compare
its results with seawall's, per (check id, file, resource). Checkov's JSON is cached under
~/.cache/seawall-test/checkov-results by a hash of the corpus and Checkov's version.

`python3 tests/hardening/hardening_checkov.py` rewrites docs/hardening-vs-checkov.md.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
CORPORA = TESTS / "data" / "hardening" / "corpora"
CORPUS_NAMES = ("terragoat", "microservices-demo", "kube-score-testdata")
CHECKOV = Path.home() / ".cache" / "seawall-test" / "checkov-venv" / "bin" / "checkov"
CACHE = Path.home() / ".cache" / "seawall-test" / "checkov-results"

Key = tuple[str, str, str]  # (check id, file relative to the corpus, resource)

# Checkov fails these, seawall deliberately does not; each with the reason.
KNOWN_DIFFERENCES = {
    ("CKV_GCP_13", "terraform/gcp/gke.tf", "google_container_cluster.workload_cluster"): (
        "no master_auth block: the google provider (>= 3.0) and GKE (>= 1.12) default to "
        "issue_client_certificate = false, so no client certificate is issued"
    ),
    **{
        (check, file, resource): (
            "Deployment without containers (the API server rejects it): no container can "
            "run as root, lack seccomp or use an undigested image"
        )
        for check in ("CKV_K8S_23", "CKV_K8S_31", "CKV_K8S_43")
        for file in (
            "score/testdata/linenumbers.yaml",
            "score/testdata/linenumbers-helm.yaml",
            "score/testdata/helm/app1/templates/deployment.yaml",
        )
        for resource in ("Deployment.default.foo", "Deployment.default.foo2")
    },
}


def checkov_version() -> str:
    """Checkov's version from its dist-info (running `checkov --version` takes seconds)."""
    venv = CHECKOV.parent.parent
    found = sorted(venv.glob("lib/python3*/site-packages/checkov-*.dist-info"))
    if not found:
        raise RuntimeError(f"Checkov is not installed in {venv}: run scripts/setup.d/40-checkov.sh")
    return found[-1].name.removeprefix("checkov-").removesuffix(".dist-info")


def corpus_hash(root: Path, version: str) -> str:
    digest = hashlib.sha256(version.encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def run_checkov(root: Path) -> list[dict[str, Any]]:
    """Checkov's JSON report(s) for `root` (cached by content hash)."""
    version = checkov_version()
    cache = CACHE / f"{root.name}-all-{corpus_hash(root, version)}.json"
    if cache.is_file():
        return list(json.loads(cache.read_text()))
    done = subprocess.run(
        [str(CHECKOV), "-d", ".", "--framework", "kubernetes", "terraform", "dockerfile",
         "-o", "json", "--compact", "--skip-download"],
        cwd=root, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    if done.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed ({done.returncode}): {done.stderr[-2000:]}")
    data = json.loads(done.stdout)
    reports = data if isinstance(data, list) else [data]
    CACHE.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(reports))
    return reports


def _rel(path: str, root: Path) -> str:
    text = path
    if text.startswith(str(root)):
        text = text[len(str(root)) :]
    return text.lstrip("./").lstrip("/")


def checkov_keys(reports: list[dict[str, Any]], root: Path, outcome: str) -> set[Key]:
    keys: set[Key] = set()
    for report in reports:
        check_type = report.get("check_type")
        for entry in report.get("results", {}).get(f"{outcome}_checks", []):
            rel = _rel(entry["file_path"], root)
            resource = str(entry["resource"])
            if check_type == "dockerfile":
                resource = ""
            elif check_type == "kubernetes":
                resource = resource.split(".", 1)[0] + "." + resource.split(".", 1)[-1]
            keys.add((entry["check_id"], rel, resource))
    return keys


def seawall_keys(root: Path) -> tuple[set[Key], set[str]]:
    """(check id, file, resource) for every seawall finding, via its rules' Checkov ids."""
    sys.path.insert(0, str(REPO / "src"))
    from seawall.hardening.engine import builtin_rules
    from seawall.hardening.scan import harden

    mapped = {c for r in builtin_rules().values() for c in r.mappings.get("checkov", [])}
    keys: set[Key] = set()
    for finding in harden([root]).findings:
        checks = finding.details["checkov"]
        if not checks or finding.location is None:
            continue
        rel = _rel(finding.location.path, root)
        fmt = finding.details["source_format"]
        if fmt == "dockerfile":
            resource = ""
        elif fmt == "k8s":
            ns = finding.details["namespace"] or "default"
            resource = f"{finding.details['source_kind']}.{ns}.{finding.details['name']}"
        else:
            resource = finding.asset.split("/", 1)[1]
        for check in checks:
            keys.add((check, rel, resource))
    return keys, mapped


def compare(root: Path) -> dict[str, list[Key]]:
    """missing: Checkov fails, seawall silent; extra: seawall reports, Checkov passes."""
    reports = run_checkov(root)
    failed = checkov_keys(reports, root, "failed")
    passed = checkov_keys(reports, root, "passed")
    ours, mapped = seawall_keys(root)
    failed_mapped = {k for k in failed if k[0] in mapped}
    return {
        "missing": sorted(failed_mapped - ours),
        "extra": sorted(k for k in ours if k in passed),
        "matched": sorted(failed_mapped & ours),
    }


def write_report(path: Path) -> None:
    lines = [
        "# seawall harden vs Checkov",
        "",
        "Generated by `python3 tests/hardening/hardening_checkov.py` (Checkov "
        f"{checkov_version()}) on tests/data/hardening/corpora. The test "
        "`tests/hardening/test_harden_vs_checkov.py` asserts that every (check, resource) Checkov "
        "fails, for a Checkov id some seawall rule maps to, seawall reports too. This file "
        "lists the other direction: what seawall reports where Checkov passes the mapped "
        "check, and why.",
        "",
        "Why they differ, in general:",
        "",
        "- Pod Security Standards rules follow upstream pod-security-admission exactly: "
        "init and ephemeral containers count, and a pod-level securityContext satisfies "
        "containers (Checkov checks some fields per container only).",
        "- `k8s-net-raw` (CKV_K8S_28) also fires when NET_RAW is not dropped at all; Checkov "
        "passes a container that drops nothing unless it adds NET_RAW explicitly.",
        "- Dockerfile rules look at the final stage (what runs); Checkov looks at any stage.",
        "- CKV_K8S_23: Checkov passes a container with a non-zero runAsUser but no "
        "runAsNonRoot; the restricted PSS control requires runAsNonRoot: true.",
        "- Each finding carries the Checkov ids of its exact violation "
        "(`details.checkov`), so a rule covering several Checkov checks (host PID/IPC/"
        "network, CPU/memory limits) is compared check by check.",
        "",
        "Checkov fails these and seawall deliberately does not (the test allows exactly these):",
        "",
        "| Checkov id | file | resource | why |",
        "|---|---|---|---|",
        *[f"| {c} | {f} | {r} | {why} |" for (c, f, r), why in sorted(KNOWN_DIFFERENCES.items())],
        "",
    ]
    for name in CORPUS_NAMES:
        result = compare(CORPORA / name)
        lines += [
            f"## {name}",
            "",
            f"- matched (both report): {len(result['matched'])}",
            f"- Checkov fails, seawall silent: {len(result['missing'])}",
            f"- seawall reports, Checkov passes: {len(result['extra'])}",
            "",
        ]
        if result["extra"]:
            lines += ["| Checkov id | file | resource |", "|---|---|---|"]
            lines += [f"| {c} | {f} | {r or '(file)'} |" for c, f, r in result["extra"]]
            lines.append("")
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    write_report(REPO / "docs" / "hardening-vs-checkov.md")
