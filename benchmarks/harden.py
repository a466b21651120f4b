"""seawall harden vs Checkov 3.x: end-to-end wall time on the three corpora (terragoat,
microservices-demo, kube-score testdata) and on 10,000 generated Kubernetes manifests.

Prints one JSON object: files/s, seconds per object, and the ratio of Checkov's wall time
to seawall's on the same files in the same run; also seawall's fixed start-up cost (a
one-object run) and its in-process time, since start-up is most of a corpus-sized run.
seawall runs as the real CLI in a subprocess (Python start-up and imports included),
median of 3; Checkov runs once on the corpora and on a 500-file sample of the generated
manifests (all 10,000 would take it many minutes), scaled per file. Checkov comes from
scripts/setup.d/40-checkov.sh.

`seawall_bytecode_*` (added fields; the figures above are unchanged): the same corpus run
from a byte-compiled copy of src/, as `pip install` leaves seawall (and as Checkov's venv
is). The main figures run src/ as it is, and with PYTHONDONTWRITEBYTECODE=1 in the
environment no __pycache__ is ever written there, so every run compiles seawall's modules.
"""

from __future__ import annotations

import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work" / "harden"
CHECKOV = Path.home() / ".cache" / "seawall-test" / "checkov-venv" / "bin" / "checkov"
SHARED = REPO.parent / "shared" / "data" / "corpora"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data/corpora")
if not SHARED.is_dir():
    SHARED = REPO / "tests" / "data" / "hardening" / "corpora"
CORPORA = [SHARED / name for name in ("terragoat", "microservices-demo", "kube-score-testdata")]
GENERATED = 10_000
CHECKOV_SAMPLE = 500

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: ns-{ns}
  labels: {{app: app-{i}, team: t{ns}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      serviceAccountName: sa-{i}
      securityContext:
        runAsNonRoot: {non_root}
        seccompProfile: {{type: RuntimeDefault}}
      initContainers:
        - name: init
          image: registry.example.com/init:{i}
      containers:
        - name: app
          image: registry.example.com/app-{i}:1.{i}
          ports: [{{containerPort: 8080{host_port}}}]
          securityContext:
            privileged: {privileged}
            allowPrivilegeEscalation: false
            capabilities: {{drop: [ALL]}}
          resources:
            limits: {{cpu: 500m, memory: 256Mi}}
          env:
            - name: DB_PASSWORD
              valueFrom: {{secretKeyRef: {{name: db, key: password}}}}
"""
ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: role-{i}
  namespace: ns-{ns}
rules:
  - apiGroups: [""]
    resources: ["pods", "secrets"]
    verbs: ["get", "list"{extra}]
"""


def generate(root: Path) -> list[Path]:
    if root.is_dir() and len(list(root.iterdir())) == GENERATED:
        return sorted(root.iterdir())
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    files = []
    for i in range(GENERATED):
        if i % 5 == 4:
            text = ROLE.format(i=i, ns=i % 50, extra=', "*"' if i % 3 == 0 else "")
        else:
            text = DEPLOYMENT.format(
                i=i,
                ns=i % 50,
                replicas=1 + i % 3,
                non_root="true" if i % 2 else "false",
                host_port=", hostPort: 80" if i % 7 == 0 else "",
                privileged="true" if i % 11 == 0 else "false",
            )
        path = root / f"m{i:05d}.yaml"
        path.write_text(text)
        files.append(path)
    return files


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def compiled_src() -> Path:
    """A copy of src/ with every module byte-compiled (what an installed seawall has)."""
    target = WORK / "bytecode-src"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(REPO / "src", target, ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(target, quiet=1)
    return target


def run_seawall(targets: list[Path], src: Path = REPO / "src") -> float:
    env = dict(os.environ, PYTHONPATH=str(src))
    out = WORK / "seawall.json"
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "seawall", "harden", *map(str, targets),
         "--format", "json", "--output", str(out)],
        env=env, capture_output=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"seawall failed: {done.stderr.decode()[-2000:]}")
    return elapsed


def median_seawall(
    targets: list[Path], runs: int = 3, src: Path = REPO / "src"
) -> tuple[float, float]:
    """(median wall seconds, mean CPU seconds) over `runs` runs after one warm-up."""
    run_seawall(targets, src)  # warm the page cache and the hcl2 parser cache
    cpu = child_cpu()
    walls = [run_seawall(targets, src) for _ in range(runs)]
    return statistics.median(walls), (child_cpu() - cpu) / runs


def timed_checkov(targets: list[Path]) -> tuple[float, float]:
    cpu = child_cpu()
    wall = run_checkov(targets)
    return wall, child_cpu() - cpu


def run_checkov(targets: list[Path]) -> float:
    args = [str(CHECKOV)]
    for target in targets:
        args += ["-d" if target.is_dir() else "-f", str(target)]
    args += ["--framework", "kubernetes", "terraform", "dockerfile", "-o", "json",
             "--compact", "--quiet", "--skip-download"]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"checkov failed: {done.stderr.decode()[-2000:]}")
    return elapsed


def per_object_ms(root: Path) -> tuple[float, float, int]:
    """In-process: read + normalise + evaluate every object (no start-up): wall and CPU ms
    per object."""
    sys.path.insert(0, str(REPO / "src"))
    from seawall.hardening.engine import builtin_rules
    from seawall.hardening.scan import collect, harden_targets

    builtin_rules()
    start, cpu = time.perf_counter(), time.process_time()
    collected = collect([root])
    harden_targets(collected)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    objects = collected.stats.objects
    return elapsed * 1000 / objects, cpu * 1000 / objects, objects


def in_process_s(targets: list[Path]) -> float:
    """Read + check + render JSON in this process: seawall's work without start-up."""
    sys.path.insert(0, str(REPO / "src"))
    from seawall.hardening.commands import render
    from seawall.hardening.engine import builtin_rules
    from seawall.hardening.scan import harden

    builtin_rules()
    harden(targets)  # warm imports (hcl2, yaml) as the CLI pays them once
    start = time.perf_counter()
    render(harden(targets), "json")
    return time.perf_counter() - start


def hcl_fallbacks(targets: list[Path]) -> tuple[int, int]:
    """(.tf files, how many of them the fast HCL reader leaves to python-hcl2)."""
    sys.path.insert(0, str(REPO / "src"))
    from seawall.inventory.sources.hclfast import Unsupported, loads

    files = fallbacks = 0
    for path in (p for t in targets for p in sorted(t.rglob("*.tf"))):
        files += 1
        try:
            loads(path.read_text(encoding="utf-8"))
        except Unsupported:
            fallbacks += 1
    return files, fallbacks


def count_files(targets: list[Path]) -> int:
    return sum(1 for t in targets for p in t.rglob("*") if p.is_file() and ".git" not in p.parts)


def main() -> None:
    if not CHECKOV.exists():
        raise SystemExit("Checkov missing: run scripts/setup.d/40-checkov.sh")
    WORK.mkdir(parents=True, exist_ok=True)
    corpus_files = count_files(CORPORA)
    seawall_corpora, seawall_corpora_cpu = median_seawall(CORPORA)
    checkov_corpora, checkov_corpora_cpu = timed_checkov(CORPORA)
    bytecode_corpora, bytecode_corpora_cpu = median_seawall(CORPORA, src=compiled_src())
    trivial = WORK / "trivial.yaml"
    trivial.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    seawall_fixed, seawall_fixed_cpu = median_seawall([trivial])
    engine_corpora = in_process_s(CORPORA)
    lark_loaded = "lark" in sys.modules  # python-hcl2's grammar: only when a file fell back
    hcl_files, hcl_fallback_files = hcl_fallbacks(CORPORA)

    generated_root = WORK / "generated"
    generate(generated_root)
    seawall_generated, seawall_generated_cpu = median_seawall([generated_root], runs=1)
    sample_root = WORK / "sample"
    shutil.rmtree(sample_root, ignore_errors=True)
    sample_root.mkdir()
    for path in sorted(generated_root.iterdir())[:CHECKOV_SAMPLE]:
        shutil.copy(path, sample_root / path.name)
    checkov_sample, checkov_sample_cpu = timed_checkov([sample_root])
    checkov_per_file = checkov_sample / CHECKOV_SAMPLE
    seawall_per_file = seawall_generated / GENERATED
    ms_per_object, cpu_ms_per_object, objects = per_object_ms(generated_root)
    print(
        json.dumps(
            {
                "benchmark": "harden",
                "corpora": {
                    "files": corpus_files,
                    "seawall_s": round(seawall_corpora, 3),
                    "checkov_s": round(checkov_corpora, 3),
                    "seawall_files_per_s": round(corpus_files / seawall_corpora, 1),
                    "ratio_checkov_over_seawall": round(checkov_corpora / seawall_corpora, 1),
                    "target_ratio": 20,
                    "seawall_cpu_s": round(seawall_corpora_cpu, 3),
                    "checkov_cpu_s": round(checkov_corpora_cpu, 3),
                    "cpu_ratio": round(checkov_corpora_cpu / seawall_corpora_cpu, 1),
                    # start-up alone (python, typer, imports) on a one-object file
                    "seawall_fixed_s": round(seawall_fixed, 3),
                    "seawall_fixed_cpu_s": round(seawall_fixed_cpu, 3),
                    # the same run with seawall byte-compiled, as installed
                    "seawall_bytecode_s": round(bytecode_corpora, 3),
                    "seawall_bytecode_cpu_s": round(bytecode_corpora_cpu, 3),
                    "ratio_checkov_over_seawall_bytecode": round(
                        checkov_corpora / bytecode_corpora, 1
                    ),
                    "cpu_ratio_bytecode": round(checkov_corpora_cpu / bytecode_corpora_cpu, 1),
                    # seawall's own work (read, check, render) without start-up
                    "seawall_in_process_s": round(engine_corpora, 3),
                    "ratio_checkov_over_seawall_in_process": round(
                        checkov_corpora / engine_corpora, 1
                    ),
                    # .tf files the fast HCL reader leaves to python-hcl2 (Lark)
                    "hcl_files": hcl_files,
                    "hcl_fallbacks": hcl_fallback_files,
                    "lark_loaded_in_process": lark_loaded,
                },
                "generated": {
                    "files": GENERATED,
                    "objects": objects,
                    "seawall_s": round(seawall_generated, 3),
                    "seawall_files_per_s": round(GENERATED / seawall_generated, 1),
                    "checkov_sample_files": CHECKOV_SAMPLE,
                    "checkov_sample_s": round(checkov_sample, 3),
                    "checkov_files_per_s": round(1 / checkov_per_file, 1),
                    "ratio_checkov_over_seawall": round(checkov_per_file / seawall_per_file, 1),
                    "cpu_ratio": round(
                        (checkov_sample_cpu / CHECKOV_SAMPLE) / (seawall_generated_cpu / GENERATED),
                        1,
                    ),
                    "ms_per_object_in_process": round(ms_per_object, 3),
                    "cpu_ms_per_object_in_process": round(cpu_ms_per_object, 3),
                    "target_ms_per_object": 1.0,
                },
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
