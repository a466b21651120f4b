"""`seawall db import` of crafted OSV YAML/JSON: alias bombs, deep nesting, bad scalars.

Each is one line naming the file (exit 2), or inside an all.zip / JSON-lines file a warning
with the other records still imported; never a hang, a traceback or a crash."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from seawall_testlib import run_seawall

GOOD = {
    "id": "PYSEC-0000-9",
    "modified": "2024-01-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "demo"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2"}]}],
        }
    ],
}
RECORD = (
    "id: OSV-BOMB-1\nmodified: 2024-01-01T00:00:00Z\naffected:\n"
    "- package: {ecosystem: PyPI, name: demo}\n"
    "  ranges: [{type: ECOSYSTEM, events: [{introduced: '0'}]}]\n"
)


def _laughs(levels: int = 9) -> str:
    """Ten aliases per level: 10**levels strings once expanded, a few hundred bytes here."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


BOMBS = {
    # before: str() of the aliased value ran for hours (summary, published, a CVSS score)
    "summary-bomb.yaml": _laughs() + RECORD + "summary: *l9\n",
    "published-bomb.yaml": _laughs() + RECORD + "published: *l9\n",
    "score-bomb.yaml": _laughs() + RECORD + "severity: [{type: CVSS_V3, score: *l9}]\n",
}
UNREADABLE = {
    # before: libyaml overflowed its C stack: the process died with SIGSEGV
    "deep-flow.yaml": "id: OSV-DEEP-1\nsummary: " + "[" * 50_000 + "]" * 50_000 + "\n",
    # before: msgspec's RecursionError was a traceback
    "deep.json": '{"id": "OSV-DEEP-2", "affected": ' + "[" * 50_000 + "]" * 50_000 + "}",
    # before: datetime's ValueError escaped the YAML error handling (a traceback)
    "bad-date.yaml": RECORD + "withdrawn: 2024-13-45\n",
}
HOSTILE = BOMBS | UNREADABLE
MESSAGES = {
    "summary-bomb.yaml": "summary is not a string",
    "published-bomb.yaml": "published is not a string",
    "score-bomb.yaml": "severity score is not a string",
    "deep-flow.yaml": "invalid YAML (nested too deeply)",
    "deep.json": "invalid JSON (nested too deeply)",
    "bad-date.yaml": "invalid YAML (cannot read a value: month must be in 1..12)",
}


def _import(tmp_path: Path, *paths: Path) -> tuple[int, str, str, Path]:
    db = tmp_path / "advisories.db"
    proc = run_seawall("db", "import", "--db", str(db), *map(str, paths), timeout=60)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode(), db


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_an_alias_bomb_record_is_skipped_as_malformed_quickly(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(BOMBS[name])
    code, out, err, _db = _import(tmp_path, path)
    assert code == 0, err
    assert err.strip() == (
        f"warning: {path} (record OSV-BOMB-1): malformed OSV record skipped: {MESSAGES[name]}"
    )
    assert "osv: 0 advisories" in out


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_an_unreadable_record_file_is_one_line_exit_2(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(UNREADABLE[name])
    code, _out, err, db = _import(tmp_path, path)
    assert code == 2, err
    assert err.strip() == f"seawall: error: {path}: {MESSAGES[name]}"
    assert not db.exists()


def test_hostile_members_of_an_archive_are_skipped_and_the_rest_imported(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for name, text in sorted(HOSTILE.items()):
            out.writestr(name, text)
        out.writestr("PYSEC-0000-9.json", json.dumps(GOOD))
    lines = tmp_path / "records.jsonl"
    lines.write_text(HOSTILE["deep.json"] + "\n" + json.dumps(GOOD | {"id": "PYSEC-0000-8"}))
    code, out, err, _db = _import(tmp_path, archive, lines)
    assert code == 0, err
    assert "Traceback" not in err
    assert "osv: 2 advisories" in out
    for name in HOSTILE:
        assert f"{archive}:{name}" in err and MESSAGES[name] in err
    assert f"{lines}:1: malformed OSV record skipped: invalid JSON (nested too deeply)" in err


@pytest.mark.parametrize(
    ("name", "text", "summary"),
    [
        (
            "secdb-bomb.yaml",  # before: str() of the aliased line hung
            _laughs()
            + "distroversion: v3.19\npackages:\n- pkg:\n    name: zlib\n"
            + "    secfixes:\n      1.0-r0: [*l9, CVE-2024-11]\n",
            "alpine-secdb: 1 advisories, 1 affected packages (skipped: 1 secfix lines",
        ),
        (
            "secdb-url-bomb.yaml",  # before: str() of an aliased urlprefix hung
            _laughs() + "urlprefix: *l9\npackages:\n- pkg:\n    name: zlib\n"
            "    secfixes:\n      1.0-r0: [CVE-2024-11]\n",
            "alpine-secdb: 1 advisories, 1 affected packages",
        ),
        (
            "secdb-int.json",  # before: TypeError traceback ('int' object is not iterable)
            '{"distroversion": "v3.19", "packages": [{"pkg": {"name": "zlib", "secfixes": '
            '{"1.0-r0": 5, "1.1-r0": ["CVE-2024-12"]}}}]}',
            "alpine-secdb: 1 advisories, 1 affected packages (skipped: 1 malformed secdb",
        ),
        (
            "kev-bomb.yaml",  # before: the aliased product expanded when stored (a hang)
            _laughs() + "catalogVersion: '1'\nvulnerabilities:\n"
            "- {cveID: CVE-2024-13, product: *l9, vendorProject: acme}\n",
            "kev: 1 known exploited vulnerabilities",
        ),
    ],
)
def test_hostile_secdb_and_kev_values_are_skipped_not_expanded(
    tmp_path: Path, name: str, text: str, summary: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    code, out, err, _db = _import(tmp_path, path)
    assert code == 0, err
    assert summary in out
