"""Inventory throughput: Kubernetes manifests and Terraform HCL, against the parse floor.

Figure: seconds for `build_inventory` over (a) a directory of 2,000 generated Deployments
with Services in multi-document YAML, (b) terragoat's Terraform HCL (all 47 files).
Floor, measured in the same run on the same bytes: PyYAML's C loader
(`yaml.load_all(..., CSafeLoader)`) for (a) and python-hcl2's `hcl2.loads` for (b) - parsing
alone, which any reader must do. Ratio = seawall / floor (1.0 would be free interpretation).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

import hcl2  # noqa: E402
import yaml  # noqa: E402
from hcl2.utils import SerializationOptions  # noqa: E402

from seawall.inventory.build import build_inventory  # noqa: E402

WORK = REPO / "benchmarks" / ".work" / "inventory"
# ../shared/data beside the checkout (a worktree sits one level deeper)
SHARED = next(
    (p / "shared" / "data" for p in REPO.parents if (p / "shared" / "data").is_dir()),
    REPO.parent / "shared" / "data",
)
TERRAGOAT = SHARED / "corpora" / "terragoat" / "terraform"
DEPLOYMENTS = 2000
PER_FILE = 50


def _manifests() -> Path:
    target = WORK / "k8s"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for f in range(DEPLOYMENTS // PER_FILE):
        docs = []
        for i in range(PER_FILE):
            n = f * PER_FILE + i
            docs.append(
                f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{n}
  namespace: team-{n % 17}
  labels: {{app: app-{n}, tier: web}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: app-{n}}}}}
  template:
    metadata:
      labels: {{app: app-{n}, tier: web}}
    spec:
      serviceAccountName: app-{n}
      containers:
        - name: app
          image: registry.example.com/team-{n % 17}/app-{n}:1.{n % 9}.0
          ports: [{{containerPort: 8080}}]
          resources: {{limits: {{cpu: 500m, memory: 256Mi}}}}
        - name: proxy
          image: docker.io/envoyproxy/envoy:v1.29.1
---
apiVersion: v1
kind: Service
metadata: {{name: app-{n}, namespace: team-{n % 17}}}
spec:
  type: {"LoadBalancer" if n % 5 == 0 else "ClusterIP"}
  selector: {{app: app-{n}}}
  ports: [{{port: 80, targetPort: 8080}}]
"""
            )
        (target / f"apps-{f:03d}.yaml").write_text("---\n".join(docs))
    return target


def _best(run: object, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    k8s = _manifests()
    texts = [p.read_text() for p in sorted(k8s.glob("*.yaml"))]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def floor_yaml() -> None:
        for text in texts:
            list(yaml.load_all(text, Loader=loader))

    k8s_seconds = _best(lambda: build_inventory([k8s], {}))
    k8s_floor = _best(floor_yaml)
    workloads = sum(1 for a in build_inventory([k8s], {}).assets if a.kind == "workload")

    tf_files = sorted(TERRAGOAT.rglob("*.tf"))
    tf_texts = [p.read_text() for p in tf_files]
    options = SerializationOptions(with_comments=False, strip_string_quotes=True)

    def floor_hcl() -> None:
        for text in tf_texts:
            hcl2.loads(text, serialization_options=options)

    tf_seconds = _best(lambda: build_inventory([TERRAGOAT], {}), repeat=2)
    tf_floor = _best(floor_hcl, repeat=2)
    print(
        json.dumps(
            {
                "benchmark": "inventory_build",
                "kubernetes": {
                    "deployments": DEPLOYMENTS,
                    "workloads_found": workloads,
                    "seconds": round(k8s_seconds, 3),
                    "floor": f"yaml.load_all with {loader.__name__}",
                    "floor_seconds": round(k8s_floor, 3),
                    "ratio_vs_floor": round(k8s_seconds / k8s_floor, 2),
                },
                "terraform_hcl": {
                    "files": len(tf_files),
                    "seconds": round(tf_seconds, 3),
                    "floor": "hcl2.loads (python-hcl2)",
                    "floor_seconds": round(tf_floor, 3),
                    "ratio_vs_floor": round(tf_seconds / tf_floor, 2),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
