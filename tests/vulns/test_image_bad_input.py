"""`seawall image` on bad input: one line naming what and where, exit 2, no output file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from seawall_testlib import run_seawall
from vulns_match_db import build_sqlite
from vulns_match_image import OS_RELEASE, docker_archive, dpkg_record, layer_tar


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bad-input")
    files = {
        "etc/os-release": OS_RELEASE,
        "var/lib/dpkg/status": dpkg_record("chromium", "97.0.4692.99-1").encode(),
    }
    db = build_sqlite(root / "advisories.db")
    (root / "garbage.db").write_bytes(bytes(range(256)) * 40)
    (root / "truncated.db").write_bytes(db.read_bytes()[:8192])
    with sqlite3.connect(root / "other.db") as conn:
        conn.execute("CREATE TABLE notes (text)")
    (root / "broken.cdx.json").write_text('{"bomFormat": "CycloneDX", "components": [')
    (root / "list.json").write_text("[1, 2]")
    (root / "bad.yaml").write_text("ignore:\n  - id: [unclosed\n")
    (root / "tag.yaml").write_text('- id: !!python/object/apply:os.system ["touch pwned"]\n')
    (root / "date.yaml").write_text("- id: CVE-2021-23337\n  expires: someday\n")
    return {
        "root": root,
        "image": docker_archive(root / "app.tar", [layer_tar(files)]),
        "db": db,
    }


CASES = [
    (["--db", "{root}/missing.db"], "no advisory database at"),
    (["--db", "{root}/garbage.db"], "garbage.db is not a seawall advisory database"),
    (["--db", "{root}/truncated.db"], "truncated.db is not a seawall advisory database"),
    (["--db", "{root}/other.db"], "other.db is not a seawall advisory database"),
    (["--sbom", "{root}/broken.cdx.json"], "broken.cdx.json: not valid JSON"),
    (["--sbom", "{root}/list.json"], "list.json: expected a JSON object"),
    (["--sbom", "{root}/nothere.json"], "nothere.json: no such file"),
    (["docker-archive:{root}/nothere.tar"], "nothere.tar"),
    (["docker-archive:{root}/list.json"], "not a readable tar archive"),
    (["{image}", "--vex", "{root}/broken.cdx.json"], "broken.cdx.json: not valid JSON"),
    (["{image}", "--vex", "{root}/list.json"], "list.json: expected a JSON object"),
    (["{image}", "--ignore-file", "{root}/bad.yaml"], "bad.yaml line 3: not valid YAML"),
    (["{image}", "--ignore-file", "{root}/tag.yaml"], "tag.yaml line 1: not valid YAML"),
    (["{image}", "--ignore-file", "{root}/date.yaml"], "date.yaml entry 1: expires"),
]


@pytest.mark.parametrize(("args", "message"), CASES)
def test_bad_input_is_one_line_exit_2_nothing_written(
    env: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    argv = [a.format(root=env["root"], image=f"docker-archive:{env['image']}") for a in args]
    if "--db" not in argv:
        argv += ["--db", str(env["db"])]
    if not any(a.startswith("docker-archive:") for a in argv) and "--sbom" not in argv:
        argv.insert(0, f"docker-archive:{env['image']}")
    out = tmp_path / "out.sarif"
    result = run_seawall(
        "image", *argv, "--fail-on", "high", "--format", "sarif", "--output", str(out), cwd=tmp_path
    )
    err = result.stderr.decode().strip()
    assert result.returncode == 2, err
    assert err.count("\n") == 0, err
    assert message in err
    assert not out.exists()
    assert not (tmp_path / "pwned").exists()
    assert not (env["root"] / "missing.db").exists()  # a scan never creates a database


def test_bad_default_ignore_file_in_the_working_directory(
    env: dict[str, Path], tmp_path: Path
) -> None:
    (tmp_path / ".seawallignore").write_text("ignore: 5\n")
    result = run_seawall(
        "image", f"docker-archive:{env['image']}", "--db", str(env["db"]), cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.decode().strip() == (
        "seawall: error: .seawallignore: expected a list of entries (or an 'ignore:' list)"
    )
    assert result.stdout == b""
