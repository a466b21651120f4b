"""`seawall db import` / `db status` through the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from seawall_testlib import run_seawall
from vulns_db_helpers import VULNS, zip_records


def _import(db: Path, *files: Path) -> tuple[int, str, str]:
    proc = run_seawall("db", "import", *map(str, files), "--db", str(db))
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def test_import_all_zip_then_status_json(tmp_path: Path) -> None:
    archive = zip_records(tmp_path / "all.zip", sorted((VULNS / "ghsa").glob("*.json")))
    db = tmp_path / "adv.db"
    code, out, err = _import(db, archive, VULNS / "kev" / "known_exploited_vulnerabilities.json")
    assert code == 0, err
    assert "osv: 8 advisories" in out
    assert "kev: 1404 known exploited vulnerabilities" in out
    status = run_seawall("db", "status", "--db", str(db), "--format", "json")
    assert status.returncode == 0
    doc = json.loads(status.stdout)
    assert doc["schema"] == "seawall.db/v1"
    assert doc["advisories"] == 8 and doc["known_exploited"] == 1404
    assert doc["stale"] is False
    assert {s["name"] for s in doc["sources"]} == {"osv", "kev"}
    assert doc["ecosystems"]["Maven"] >= 2
    table = run_seawall("db", "status", "--db", str(db))
    assert b"known exploited: 1404" in table.stdout


def test_status_warns_when_older_than_a_week(tmp_path: Path) -> None:
    db = tmp_path / "adv.db"
    assert _import(db, VULNS / "ghsa")[0] == 0
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=10)).isoformat()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'built_at'", (old,))
    proc = run_seawall("db", "status", "--db", str(db), "-f", "json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["stale"] is True
    assert b"10 days old" in proc.stderr


def test_status_without_database_exits_2(tmp_path: Path) -> None:
    proc = run_seawall("db", "status", "--db", str(tmp_path / "missing.db"))
    assert proc.returncode == 2
    err = proc.stderr.decode().strip()
    assert err.count("\n") == 0
    assert "no advisory database at" in err and "seawall db update" in err


def test_malformed_record_warns_and_the_rest_is_imported(tmp_path: Path) -> None:
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "good.json").write_bytes((VULNS / "ghsa" / "GHSA-7rjr-3q55-vv33.json").read_bytes())
    (feed / "bad.json").write_text(
        json.dumps({"id": "GHSA-bad", "affected": [{"package": {"name": "x"}}]})
    )
    (feed / "evil.yaml").write_text("id: !!python/object/apply:os.system ['touch pwned']\n")
    db = tmp_path / "adv.db"
    code, out, err = _import(db, feed)
    assert code == 0, err
    assert "bad.json (record GHSA-bad): malformed OSV record skipped" in " ".join(err.split())
    assert "evil.yaml" in err and not (tmp_path / "pwned").exists()
    assert "osv: 1 advisories" in out


def test_corrupt_zip_exits_2_and_keeps_previous_database(tmp_path: Path) -> None:
    db = tmp_path / "adv.db"
    assert _import(db, VULNS / "ghsa")[0] == 0
    before = db.read_bytes()
    broken = tmp_path / "all.zip"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    code, _out, err = _import(db, VULNS / "distro", broken)
    assert code == 2
    assert "not a valid zip archive" in err and err.strip().count("\n") == 0
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adv.db", "all.zip"]


def test_zip_bomb_and_traversal_names_are_refused_or_harmless(tmp_path: Path) -> None:
    traversal = tmp_path / "traversal.zip"
    record = (VULNS / "ghsa" / "GHSA-35jh-r3h4-6jhm.json").read_bytes()
    with zipfile.ZipFile(traversal, "w") as archive:
        archive.writestr("../../escaped.json", record)
    db = tmp_path / "adv.db"
    code, out, err = _import(db, traversal)
    assert code == 0, err
    assert "osv: 1 advisories" in out
    assert not (tmp_path.parent / "escaped.json").exists()
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("BOMB-1.json", b" " * (40 << 20))
    code, _out, err = _import(db, bomb)
    assert code == 2
    assert "too large or too compressed" in err


def test_yaml_alias_bomb_is_rejected_quickly(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        levels.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    bomb = tmp_path / "BOMB-2.yaml"
    bomb.write_text(
        "\n".join(levels)
        + "\nid: BOMB-2\naffected:\n- package: {ecosystem: PyPI, name: x}\n  versions: *a8\n"
    )
    code, out, err = _import(tmp_path / "adv.db", bomb)
    assert code == 0, err
    assert "BOMB-2" in err and "malformed OSV record skipped" in err
    assert "osv: 0 advisories" in out


def test_db_path_that_is_a_directory_exits_2(tmp_path: Path) -> None:
    code, _out, err = _import(tmp_path, VULNS / "ghsa")
    assert code == 2
    assert "is not a file" in err


def test_seawall_db_environment_variable_chooses_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "from-env.db"
    monkeypatch.setenv("SEAWALL_DB", str(db))
    proc = run_seawall("db", "import", str(VULNS / "distro"))
    assert proc.returncode == 0, proc.stderr
    assert db.is_file()
    status = run_seawall("db", "status", "--format", "json")
    assert json.loads(status.stdout)["path"] == str(db)


def test_import_summary_as_json_file(tmp_path: Path) -> None:
    db = tmp_path / "adv.db"
    out = tmp_path / "import.json"
    proc = run_seawall(
        "db",
        "import",
        str(VULNS / "ghsa"),
        str(VULNS / "kev" / "known_exploited_vulnerabilities.json"),
        "--db",
        str(db),
        "--format",
        "json",
        "--output",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    doc = json.loads(out.read_text())
    assert doc["schema"] == "seawall.db-import/v1"
    assert doc["database"] == str(db)
    by_source = {s["source"]: s for s in doc["sources"]}
    assert by_source["osv"]["advisories"] == 8
    assert by_source["kev"]["known_exploited"] == 1404


@pytest.mark.parametrize("verb", ["import", "update"])
def test_bad_format_on_import_and_update_changes_nothing(tmp_path: Path, verb: str) -> None:
    db = tmp_path / "adv.db"
    out = tmp_path / "out.json"
    files = [str(VULNS / "ghsa")] if verb == "import" else ["--feed-base", "http://127.0.0.1:9"]
    proc = run_seawall("db", verb, *files, "--db", str(db), "--format", "xml", "-o", str(out))
    assert proc.returncode == 2
    assert b"--format" in proc.stderr
    assert not db.exists() and not out.exists()
    assert not (tmp_path / "feeds").exists()


def test_a_database_with_foreign_triggers_or_views_is_refused(tmp_path: Path) -> None:
    """SQL planted in a database file (a trigger that runs on import, a view read instead of
    a table) never runs: import and scan refuse the file in one line, and it stays as it was."""
    db = tmp_path / "adv.db"
    assert _import(db, VULNS / "ghsa")[0] == 0
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE planted (x TEXT)")
    conn.execute(
        "CREATE TRIGGER planted_on_import AFTER INSERT ON advisories "
        "BEGIN INSERT INTO planted VALUES ('ran'); END"
    )
    conn.commit()
    conn.close()
    before = db.read_bytes()
    code, _out, err = _import(db, VULNS / "distro")
    assert code == 2
    assert f"{db} holds a trigger 'planted_on_import' that seawall does not write" in err
    assert err.strip().count("\n") == 0
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adv.db"]

    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER planted_on_import")
    conn.execute("CREATE VIEW kev_view AS SELECT cve FROM kev")
    conn.commit()
    conn.close()
    sbom = tmp_path / "sbom.json"
    sbom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}))
    proc = run_seawall("image", "--sbom", str(sbom), "--db", str(db))
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "holds a view 'kev_view' that seawall does not write" in err
    assert "Traceback" not in err
