"""Real version strings named in advisory data, per OSV ecosystem (for the byte-key tests).

`python3 tests/vulns/real_versions.py ../shared/data/vulns` regenerates
tests/data/vulns/real_versions.tsv.gz from tests/data/vulns and the given directories
(PyPI advisory database, Go vulndb, osv.dev GHSA/Maven records, osv.dev distro records,
Debian tracker and Alpine/Wolfi secdb excerpts, Red Hat CSAF NVRs), plus every Debian
`Version:` of this machine's apt lists (`apt-cache dumpavail`) when apt is there.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

TESTS = Path(__file__).resolve().parent.parent
EXTRACT = TESTS / "data" / "vulns" / "real_versions.tsv.gz"


def _walk(doc: Any, out: dict[str, set[str]]) -> None:
    if isinstance(doc, list):
        for item in doc:
            _walk(item, out)
        return
    if not isinstance(doc, dict):
        return
    if isinstance(doc.get("affected"), list):  # an OSV record
        for affected in doc["affected"]:
            package = affected.get("package") if isinstance(affected, dict) else None
            ecosystem = package.get("ecosystem") if isinstance(package, dict) else None
            if not isinstance(ecosystem, str):
                continue
            out[ecosystem].update(v for v in affected.get("versions") or [] if isinstance(v, str))
            for rng in affected.get("ranges") or []:
                if rng.get("type") == "GIT":
                    continue
                for event in rng.get("events") or []:
                    out[ecosystem].update(v for v in event.values() if isinstance(v, str))
        return
    if isinstance(doc.get("packages"), list):  # Alpine (Wolfi) secdb
        for entry in doc["packages"]:
            secfixes = (entry.get("pkg") or {}).get("secfixes") if isinstance(entry, dict) else None
            if isinstance(secfixes, dict):
                out["Alpine"].update(str(v) for v in secfixes)
        return
    if isinstance(doc.get("secfixes"), dict):  # one package of an Alpine secdb
        out["Alpine"].update(str(v) for v in doc["secfixes"])
        return
    if isinstance(doc.get("product_tree"), dict):  # Red Hat CSAF VEX: name-E:V-R.arch ids
        out["Red Hat"].update(_NVR.findall(json.dumps(doc)))
        return
    for value in doc.values():
        if isinstance(value, dict) and isinstance(value.get("releases"), dict):  # Debian
            for release in value["releases"].values():
                if not isinstance(release, dict):
                    continue
                fixed = release.get("fixed_version")
                if isinstance(fixed, str):
                    out["Debian"].add(fixed)
                repos = release.get("repositories")
                if isinstance(repos, dict):
                    out["Debian"].update(v for v in repos.values() if isinstance(v, str))
        elif isinstance(value, (dict, list)):
            _walk(value, out)


_NVR = re.compile(
    r'"product_id": "(?:[^":]+:)?[A-Za-z0-9_.+-]+?-(\d+:[^"-]+-[^"]+?)'
    r'\.(?:x86_64|aarch64|noarch|src|ppc64le|s390x|i686)"'
)


def _read(path: Path) -> list[Any]:
    name = path.name
    raw = path.read_bytes()
    if name.endswith(".gz"):
        raw, name = gzip.decompress(raw), name[:-3]
    text = raw.decode()
    if name.endswith(".json"):
        return [json.loads(text)]
    if name.endswith((".yaml", ".yml")):
        return [yaml.safe_load(text)]
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line]
    return []


def extract(*roots: Path) -> dict[str, set[str]]:
    """{ecosystem: versions} named in every advisory file under `roots`."""
    out: dict[str, set[str]] = defaultdict(set)
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            try:
                docs = _read(path)
            except (ValueError, yaml.YAMLError, OSError):
                continue
            for doc in docs:
                _walk(doc, out)
    out.pop("", None)
    return {eco: {v for v in versions if v and v != "0"} for eco, versions in out.items()}


def load() -> dict[str, set[str]]:
    """The committed extract plus whatever tests/data/vulns names now."""
    out: dict[str, set[str]] = defaultdict(set)
    with gzip.open(EXTRACT, "rt", encoding="utf-8") as handle:
        for line in handle:
            ecosystem, _, version = line.rstrip("\n").partition("\t")
            out[ecosystem].add(version)
    for ecosystem, versions in extract(TESTS / "data" / "vulns").items():
        out[ecosystem] |= versions
    return dict(out)


def main() -> None:
    roots = [TESTS / "data" / "vulns", *(Path(arg) for arg in sys.argv[1:])]
    found = extract(*roots)
    try:
        dump = subprocess.run(
            ["apt-cache", "dumpavail"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        dump = ""
    found.setdefault("Debian", set()).update(
        line[9:].strip() for line in dump.splitlines() if line.startswith("Version:")
    )
    lines = sorted(f"{eco}\t{v}\n" for eco, versions in found.items() for v in versions)
    with gzip.GzipFile(EXTRACT, "wb", mtime=0) as handle:
        handle.write("".join(lines).encode())
    for eco in sorted(found):
        print(eco, len(found[eco]))


if __name__ == "__main__":
    main()
