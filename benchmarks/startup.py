"""seawall start-up per verb: the wall and CPU time of the real CLI on a trivial input
(`harden`, `image`, `detect`, `coverage`) against `python3 -c pass` in the same run (the
floor: interpreter and site start-up, which no change to seawall can remove).

Prints one JSON object. Each figure is the median of RUNS subprocess runs after one warm-up;
`over_floor_s` is what seawall's own imports and work add to the floor, and `modules` the
number of modules the run imported (from `-X importtime`). `harden_bytecode` is the harden
run from a byte-compiled copy of src/ (as installed; with PYTHONDONTWRITEBYTECODE=1 set,
src/ itself never gets a __pycache__, so the other runs compile seawall's modules).
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
WORK = REPO / "benchmarks" / ".work" / "startup"
RUNS = 7
ENV = dict(os.environ, PYTHONPATH=str(REPO / "src"))
BYTECODE_SRC = WORK / "bytecode-src"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], env: dict[str, str] = ENV) -> tuple[float, float]:
    """(median wall s, mean CPU s) of `python3 args` over RUNS runs after a warm-up."""
    subprocess.run([sys.executable, *args], env=env, capture_output=True, check=True)
    walls = []
    cpu = _children_cpu()
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], env=env, capture_output=True, check=True)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls), (_children_cpu() - cpu) / RUNS


def module_count(args: list[str]) -> int:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], env=ENV, capture_output=True, check=True
    )
    return done.stderr.count(b"import time:") - 1  # minus the header line


def inputs() -> dict[str, list[str]]:
    """Per verb, the arguments of a trivial run (inputs made under WORK)."""
    WORK.mkdir(parents=True, exist_ok=True)
    manifest = WORK / "trivial.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    root = WORK / "empty-root"
    root.mkdir(exist_ok=True)
    events = WORK / "events.jsonl"
    events.write_text(
        '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"1",'
        '"stage":"ResponseComplete","requestURI":"/api","verb":"get","user":{"username":"a"},'
        '"stageTimestamp":"2024-01-01T00:00:00Z",'
        '"requestReceivedTimestamp":"2024-01-01T00:00:00Z"}\n'
    )
    db = WORK / "advisories.db"
    if not db.exists():
        advisories = REPO / "tests" / "data" / "vulns" / "alpine" / "v3.12-ansible.json"
        subprocess.run(
            [sys.executable, "-m", "seawall", "db", "import", str(advisories), "--db", str(db),
             "--format", "json", "--output", str(WORK / "import.json")],
            env=ENV, capture_output=True, check=True,
        )  # fmt: skip
    out = str(WORK / "out.json")
    return {
        "harden": ["harden", str(manifest), "--format", "json", "--output", out],
        "image": ["image", f"dir:{root}", "--db", str(db), "--no-cache",
                  "--format", "json", "--output", out],
        "detect": ["detect", "--source", "k8saudit", str(events), "--format", "json",
                   "--output", out],
        "coverage": ["coverage", str(manifest), "--format", "json", "--output", out],
        "help": ["--help"],
    }  # fmt: skip


def main() -> None:
    floor, floor_cpu = timed(["-c", "pass"])
    shutil.rmtree(BYTECODE_SRC, ignore_errors=True)
    shutil.copytree(REPO / "src", BYTECODE_SRC, ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(BYTECODE_SRC, quiet=1)
    runs = inputs()
    runs["harden_bytecode"] = runs["harden"]
    verbs = {}
    for verb, args in runs.items():
        env = dict(ENV, PYTHONPATH=str(BYTECODE_SRC)) if verb.endswith("_bytecode") else ENV
        wall, cpu = timed(["-m", "seawall", *args], env)
        verbs[verb] = {
            "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3),
            "over_floor_s": round(wall - floor, 3),
            "ratio_to_floor": round(wall / floor, 2),
            "modules": module_count(["-m", "seawall", *args]),
        }
    print(
        json.dumps(
            {
                "benchmark": "startup",
                "floor_python_c_pass_s": round(floor, 3),
                "floor_cpu_s": round(floor_cpu, 3),
                "floor_modules": module_count(["-c", "pass"]),
                "verbs": verbs,
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
