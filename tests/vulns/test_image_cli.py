"""`seawall image` end to end: a real image built from real old packages, a real database."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from seawall_testlib import run_seawall
from vulns_match_db import MATCH_DATA, build_sqlite
from vulns_match_image import app_image

# What applies to the image, checked by hand against the advisories' ranges.
EXPECTED = {
    ("lodash", "CVE-2021-23337"),  # GHSA-35jh-r3h4-6jhm, fixed 4.17.21
    ("requests", "CVE-2018-18074"),  # PYSEC-2018-28, fixed 2.20.0
    ("requests", "CVE-2023-32681"),  # PYSEC-2023-74, fixed 2.31.0
    ("urllib3", "CVE-2019-11236"),
    ("urllib3", "CVE-2019-11324"),
    ("urllib3", "CVE-2020-26137"),
    ("urllib3", "CVE-2021-33503"),
    ("urllib3", "CVE-2023-43804"),
    ("urllib3", "CVE-2018-25091"),
    ("urllib3", "CVE-2023-45803"),
    ("chromium", "CVE-2022-0456"),  # Debian tracker: fixed 98.0.4758.80-1 in bookworm
    # log4j-core 2.14.1 shaded into /app/shop.jar: GHSA-7rjr-3q55-vv33, GHSA-p6xc-xr62-6r2g
    ("org.apache.logging.log4j:log4j-core", "CVE-2021-45046"),
    ("org.apache.logging.log4j:log4j-core", "CVE-2021-45105"),
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("image")
    return {
        "root": root,
        "image": app_image(root / "app.tar"),
        "db": build_sqlite(root / "advisories.db"),
    }


def _scan(env: dict[str, Path], *args: str, cwd: Path | None = None) -> tuple[int, bytes, bytes]:
    result = run_seawall(
        "image", f"docker-archive:{env['image']}", "--db", str(env["db"]), *args, cwd=cwd
    )
    return result.returncode, result.stdout, result.stderr


def test_image_yields_exactly_the_advisories_that_apply(env: dict[str, Path]) -> None:
    code, out, err = _scan(env, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "seawall.image/v1"
    assert doc["target"]["os"] == "debian 12"
    got = {(f["details"]["package"]["name"], f["rule"]) for f in doc["findings"]}
    assert got == EXPECTED
    # the backported sope fix (5.8.0-1+deb12u1 < upstream 5.12.1-2) is not reported, and
    # Debian's real log4j-core 2.19.0 jar is past every log4j fix
    names = {f["details"]["package"]["name"] for f in doc["findings"]}
    assert "libsope1" not in names
    log4j = [f for f in doc["findings"] if f["details"]["package"]["name"].endswith("log4j-core")]
    assert {f["details"]["installed"] for f in log4j} == {"2.14.1"}
    assert {f["location"]["path"] for f in log4j} == {"/app/shop.jar"}
    log4shell = next(f for f in log4j if f["rule"] == "CVE-2021-45046")
    assert log4shell["details"]["known_exploited"] is True
    assert log4shell["severity"] == "critical"
    assert doc["summary"]["known_exploited"] == 1
    assert doc["summary"]["packages"] == 9
    assert doc["summary"]["matching"] == {
        "os_owned_skipped": 0,
        "not_affected": 0,
        "unversioned": 0,
        "incomparable": 0,
    }
    base_layer, app_layer = doc["target"]["layers"]
    by_name = {f["details"]["package"]["name"]: f for f in doc["findings"]}
    assert by_name["chromium"]["details"]["layer"] == base_layer
    assert by_name["lodash"]["details"]["layer"] == app_layer
    assert by_name["lodash"]["location"]["path"] == "/app/node_modules/lodash/package.json"
    assert by_name["lodash"]["severity"] == "high"


def test_fail_on_and_filters(env: dict[str, Path]) -> None:
    assert _scan(env, "--fail-on", "critical")[0] == 1
    assert _scan(env, "--fail-on", "critical", "--severity", "high,medium")[0] == 0
    code, out, _ = _scan(env, "--format", "json", "--severity", "high,medium", "--ignore-unfixed")
    assert code == 0
    doc = json.loads(out)
    assert {f["severity"] for f in doc["findings"]} == {"high", "medium"}
    assert doc["summary"]["filtered"]["severity"] == 8  # 1 critical, 7 unknown
    _, out, _ = _scan(env, "--format", "table")
    text = out.decode()
    assert "13 vulnerabilities" in text
    assert "1 known exploited" in text
    # grouped: the package column names urllib3 once for its seven rows
    assert sum(1 for line in text.splitlines() if line.startswith("│ urllib3 ")) == 1


def test_suppressions_sarif_and_cyclonedx_files(env: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / ".seawallignore").write_text(
        "- id: CVE-2021-23337\n  package: lodash\n  reason: template() never used\n"
        "- id: CVE-2022-0456\n  expires: 2020-01-01\n"
    )
    vex = tmp_path / "app.openvex.json"
    vex.write_text(
        json.dumps(
            {
                "@context": "https://openvex.dev/ns/v0.2.0",
                "@id": "https://example.com/vex/app",
                "author": "sec",
                "timestamp": "2026-01-01T00:00:00Z",
                "version": 1,
                "statements": [
                    {
                        "vulnerability": {"name": "CVE-2018-18074"},
                        "products": [{"@id": "pkg:pypi/requests@2.19.1"}],
                        "status": "not_affected",
                        "justification": "vulnerable_code_not_in_execute_path",
                    }
                ],
            }
        )
    )
    sarif = tmp_path / "app.sarif"
    code, _, err = _scan(
        env, "--format", "sarif", "--output", str(sarif), "--vex", str(vex), cwd=tmp_path
    )
    assert code == 0
    assert b"expired on 2020-01-01" in err
    log = json.loads(sarif.read_text())
    jsonschema.validate(log, json.loads((MATCH_DATA / "sarif-schema-2.1.0.json").read_text()))
    suppressed = {
        r["ruleId"]: r["suppressions"][0]["justification"]
        for r in log["runs"][0]["results"]
        if r.get("suppressions")
    }
    assert suppressed == {
        "CVE-2021-23337": "template() never used",
        "CVE-2018-18074": "not_affected: vulnerable_code_not_in_execute_path",
    }
    cdx = tmp_path / "app.cdx.json"
    code, _, _ = _scan(
        env, "--format", "cyclonedx", "-o", str(cdx), "--vex", str(vex), cwd=tmp_path
    )
    assert code == 0
    assert JsonStrictValidator(SchemaVersion.V1_5).validate_str(cdx.read_text()) is None
    vulns = {v["id"]: v for v in json.loads(cdx.read_text())["vulnerabilities"]}
    assert vulns["CVE-2018-18074"]["analysis"]["state"] == "not_affected"
    assert vulns["CVE-2021-23337"]["analysis"]["state"] == "in_triage"
    code, out, _ = _scan(env, "--format", "json", "--vex", str(vex), cwd=tmp_path)
    doc = json.loads(out)
    assert doc["summary"]["suppressed"] == 2
    assert doc["summary"]["findings"] == len(EXPECTED) - 2
    assert {s["id"] for s in doc["suppressed"]} == {"CVE-2021-23337", "CVE-2018-18074"}


def test_sbom_input_log4j_is_known_exploited(env: dict[str, Path], tmp_path: Path) -> None:
    sbom = tmp_path / "app.cdx.json"
    sbom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.5",
                "version": 1,
                "components": [
                    {
                        "type": "library",
                        "name": "log4j-core",
                        "version": "2.14.1",
                        "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                    }
                ],
            }
        )
    )
    result = run_seawall("image", "--sbom", str(sbom), "--db", str(env["db"]), "--format", "json")
    assert result.returncode == 0, result.stderr
    findings = {f["rule"]: f for f in json.loads(result.stdout)["findings"]}
    assert set(findings) == {"CVE-2021-45046", "CVE-2021-45105"}
    assert findings["CVE-2021-45046"]["details"]["known_exploited"] is True
    assert findings["CVE-2021-45046"]["severity"] == "critical"


def test_old_database_warns(env: dict[str, Path], tmp_path: Path) -> None:
    old = build_sqlite(tmp_path / "old.db", built_at="2020-01-01T00:00:00+00:00")
    result = run_seawall(
        "image", f"docker-archive:{env['image']}", "--db", str(old), "--format", "json"
    )
    assert result.returncode == 0
    assert b"days old" in result.stderr and b"seawall db update" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], b"--format"),
        (["--severity", "urgent"], b"--severity"),
        (["--vex", "missing.json"], b"missing.json: no such file"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(
    env: dict[str, Path], tmp_path: Path, args: list[str], message: bytes
) -> None:
    out = tmp_path / "out.json"
    code, _, err = _scan(env, "--output", str(out), *args, cwd=tmp_path)
    assert code == 2
    assert message in err
    assert not out.exists()


def test_help_lists_the_options() -> None:
    result = run_seawall("image", "--help")
    assert result.returncode == 0, result.stderr
    for option in (b"--sbom", b"--vex", b"--ignore-file", b"--ignore-unfixed", b"--platform"):
        assert option in result.stdout
