"""How fast the cloud sources read large provider exports.

Builds a 30,000-row Azure Resource Graph export and a 30,000-line Cloud Asset export (copies
of the estate's recorded rows with distinct ids), then times `load_file` on each against the
physical floor measured in the same run: reading the file and parsing its JSON
(json.loads), which every reader must do. Prints one JSON object.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from seawall.inventory.sources import azure, gcp  # noqa: E402

ESTATE = REPO / "tests" / "data" / "inventory" / "estate"
WORK = REPO / "benchmarks" / ".work"
ROWS = 30_000


def build_azure(path: Path) -> int:
    rows = json.loads((ESTATE / "az-graph.json").read_text())["data"]
    out = []
    for index in range(ROWS):
        row = copy.deepcopy(rows[index % len(rows)])
        row["id"] = f"{row['id']}-{index}"
        row["name"] = f"{row['name']}-{index}"
        out.append(row)
    path.write_text(json.dumps({"count": len(out), "data": out}))
    return len(out)


def build_gcp(path: Path) -> int:
    lines = [json.loads(x) for x in (ESTATE / "gcp-assets.jsonl").read_text().splitlines() if x]
    with path.open("w") as handle:
        for index in range(ROWS):
            line = copy.deepcopy(lines[index % len(lines)])
            line["name"] = f"{line['name']}-{index}"
            handle.write(json.dumps(line) + "\n")
    return ROWS


def best_of(runs: int, func: object) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    az_path, gcp_path = WORK / "az-graph-large.json", WORK / "gcp-assets-large.jsonl"
    az_rows, gcp_rows = build_azure(az_path), build_gcp(gcp_path)

    def az_floor() -> None:
        json.loads(az_path.read_text())

    def gcp_floor() -> None:
        for line in gcp_path.read_text().splitlines():
            json.loads(line)

    az_assets = len(azure.load_file(az_path).assets)
    gcp_assets = len(gcp.load_file(gcp_path).assets)
    az_seconds = best_of(3, lambda: azure.load_file(az_path))
    az_floor_seconds = best_of(3, az_floor)
    gcp_seconds = best_of(3, lambda: gcp.load_file(gcp_path))
    gcp_floor_seconds = best_of(3, gcp_floor)
    print(
        json.dumps(
            {
                "benchmark": "inventory-cloud-exports",
                "azure_rows": az_rows,
                "azure_assets": az_assets,
                "azure_seconds": round(az_seconds, 3),
                "azure_rows_per_second": round(az_rows / az_seconds),
                "azure_json_parse_seconds": round(az_floor_seconds, 3),
                "azure_ratio_vs_json_parse": round(az_seconds / az_floor_seconds, 2),
                "gcp_rows": gcp_rows,
                "gcp_assets": gcp_assets,
                "gcp_seconds": round(gcp_seconds, 3),
                "gcp_rows_per_second": round(gcp_rows / gcp_seconds),
                "gcp_json_parse_seconds": round(gcp_floor_seconds, 3),
                "gcp_ratio_vs_json_parse": round(gcp_seconds / gcp_floor_seconds, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
