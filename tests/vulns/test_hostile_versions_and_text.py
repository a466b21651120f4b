"""Crafted versions and markup-looking text: bounded cost, no traceback, printed verbatim."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from seawall_testlib import run_seawall

from seawall.vulns.versions import compare_gem, compare_maven
from seawall.vulns.versions.maven import parse_maven


def _osv(path: Path, ecosystem: str, names: list[str], summary: str = "a flaw") -> Path:
    record = {
        "id": "GHSA-hhhh-0000-0001",
        "modified": "2024-01-01T00:00:00Z",
        "summary": summary,
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}
                ],
            }
            for name in names
        ],
    }
    path.write_text(json.dumps(record))
    return path


def _cyclonedx(path: Path, purls: list[str]) -> Path:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "components": [{"type": "library", "name": "x", "purl": p} for p in purls],
    }
    path.write_text(json.dumps(doc))
    return path


def _db(tmp_path: Path, osv: Path) -> Path:
    db = tmp_path / "advisories.db"
    proc = run_seawall("db", "import", "--db", str(db), str(osv))
    assert proc.returncode == 0, proc.stderr
    return db


def test_a_maven_version_nested_thousands_deep_is_incomparable_not_a_traceback(
    tmp_path: Path,
) -> None:
    osv = _osv(tmp_path / "a.json", "Maven", ["org.demo:ok", "org.demo:deep"])
    sbom = _cyclonedx(
        tmp_path / "bom.json",
        ["pkg:maven/org.demo/ok@1.0", f"pkg:maven/org.demo/deep@{'1-' * 2000}1"],
    )
    proc = run_seawall(
        "image", "--db", str(_db(tmp_path, osv)), "--sbom", str(sbom), "--format", "json"
    )
    # before: RecursionError traceback from the Maven comparator, no report at all
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert [f["details"]["package"]["name"] for f in report["findings"]] == ["org.demo:ok"]
    with pytest.raises(ValueError, match="nests more than"):
        parse_maven("1-" * 2000)


def test_long_runs_of_zeros_compare_in_linear_time() -> None:
    start = time.perf_counter()
    # RubyGems drops trailing zeros (before: one list slice per zero, ~5 s here)
    assert compare_gem("1" + ".0" * 100_000, "1") == 0
    assert compare_gem("1" + ".0" * 100_000 + ".1", "1") == 1
    # Maven drops null items before qualifiers (before: one `del` per item, quadratic)
    assert compare_maven("1" + ".0.a" * 200_000, "2") == -1
    assert time.perf_counter() - start < 3.0


def test_markup_in_versions_summaries_and_paths_is_printed_verbatim(tmp_path: Path) -> None:
    osv = _osv(tmp_path / "a.json", "PyPI", ["demo"], summary="[/x][sec]")
    sbom = _cyclonedx(tmp_path / "bom.json", ["pkg:pypi/demo@1.0%5B%2Fy%5D"])
    proc = run_seawall("image", "--db", str(_db(tmp_path, osv)), "--sbom", str(sbom))
    # before: rich read "[/x]" as a closing tag (MarkupError traceback) and ate "[sec]"
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert "[/x][sec]" in out and "1.0[/y]" in out
    missing = tmp_path / "no[/such]file[red].json"
    proc = run_seawall("image", "--db", str(tmp_path / "advisories.db"), "--sbom", str(missing))
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == f"seawall: error: {missing}: no such file"


def test_sbom_table_and_warnings_show_bracketed_names_verbatim(tmp_path: Path) -> None:
    site = tmp_path / "root" / "usr" / "lib" / "python3" / "site-packages"
    good = site / "[" / "x]y.dist-info"
    good.mkdir(parents=True)
    (good / "METADATA").write_text("Metadata-Version: 2.1\nName: [bold]demo\nVersion: 1.0[/x]\n")
    bad = site / "[" / "z]bad.dist-info"
    bad.mkdir(parents=True)
    (bad / "METADATA").write_bytes(b"\xff\xfe not metadata")
    proc = run_seawall("sbom", f"dir:{tmp_path / 'root'}", "--format", "table")
    # before: the warning naming "[/z]bad.dist-info" was a MarkupError traceback
    assert proc.returncode == 0, proc.stderr
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert "[bold]demo" in out and "1.0[/x]" in out
    assert "site-packages/[/z]bad.dist-info/METADATA" in err


@pytest.mark.parametrize("fmt", ["json", "sarif", "cyclonedx", "table"])
def test_credentials_in_sbom_purls_and_names_never_reach_reports(tmp_path: Path, fmt: str) -> None:
    osv = _osv(tmp_path / "a.json", "PyPI", ["demo"])
    purl = (
        "pkg:pypi/demo@1.0?download_url=https://alice:s3cret-pw@pypi.example.com/demo.tgz"
        "&repository_url=https%3A%2F%2Fghp_t0ken%40repo.example.com%2Fsimple"
    )
    sbom = _cyclonedx(tmp_path / "bom.json", [purl])
    doc = json.loads(sbom.read_text())
    doc["metadata"] = {"component": {"name": "https://bob:hunter2@registry.example.com/app"}}
    sbom.write_text(json.dumps(doc))
    db = _db(tmp_path, osv)
    proc = run_seawall("image", "--db", str(db), "--sbom", str(sbom), "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    text = (proc.stdout + proc.stderr).decode()
    # before: JSON, SARIF and CycloneDX carried the purl (and JSON the name) verbatim
    assert "demo" in text and "GHSA-hhhh-0000-0001" in text
    for secret in ("s3cret-pw", "ghp_t0ken", "hunter2"):
        assert secret not in text
    if fmt == "json":
        (finding,) = json.loads(proc.stdout)["findings"]
        assert finding["details"]["package"]["purl"] == (
            "pkg:pypi/demo@1.0?download_url=https://pypi.example.com/demo.tgz"
            "&repository_url=https://repo.example.com/simple"
        )


def test_emoji_codes_in_names_stay_text_and_output_to_a_directory_is_one_line(
    tmp_path: Path,
) -> None:
    osv = _osv(tmp_path / "a.json", "PyPI", ["demo"], summary=":fire: x")
    sbom = _cyclonedx(tmp_path / "bom.json", ["pkg:pypi/demo@1.0"])
    db = _db(tmp_path, osv)
    proc = run_seawall("image", "--db", str(db), "--sbom", str(sbom))
    # before: rich turned ":fire:" into an emoji in the table (and in error lines)
    assert proc.returncode == 0 and ":fire: x" in proc.stdout.decode()
    missing = tmp_path / "a:fire:b.json"
    proc = run_seawall("image", "--db", str(db), "--sbom", str(missing))
    assert proc.stderr.decode().strip() == f"seawall: error: {missing}: no such file"
    # before: IsADirectoryError traceback from the atomic rename
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    proc = run_seawall("image", "--db", str(db), "--sbom", str(sbom), "-o", str(out_dir))
    assert proc.returncode == 2
    assert (
        proc.stderr.decode().strip() == f"seawall: error: cannot write {out_dir}: it is a directory"
    )
    assert list(out_dir.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == [
        "a.json",
        "advisories.db",
        "bom.json",
        "reports",
    ]


@pytest.mark.parametrize(
    ("doc", "expect"),
    [
        ({"bomFormat": "CycloneDX", "metadata": 5, "components": []}, "bom.json"),
        ({"bomFormat": "CycloneDX", "metadata": {"component": "x"}}, "bom.json"),
        (
            {
                "bomFormat": "CycloneDX",
                "components": [{"purl": "pkg:rpm/redhat/bash@5.1-1?epoch=" + "9" * 5000}],
            },
            ("bash", None),
        ),
        (
            {"spdxVersion": "SPDX-2.3", "packages": [{"name": "a", "externalRefs": 5}]},
            "a package's 'externalRefs' must be a list",
        ),
    ],
)
def test_sbom_fields_of_the_wrong_type_are_one_line_or_ignored(
    tmp_path: Path, doc: dict[str, object], expect: object
) -> None:
    from seawall.errors import InputError
    from seawall.vulns.sbom_input import read_sbom

    path = tmp_path / "bom.json"
    path.write_text(json.dumps(doc))
    # before: AttributeError / TypeError / ValueError tracebacks
    if isinstance(expect, str) and expect.startswith("a package"):
        with pytest.raises(InputError, match=expect):
            read_sbom(path)
        return
    contents = read_sbom(path)
    if isinstance(expect, tuple):
        assert [(p.name, p.epoch) for p in contents.packages] == [expect]
    else:
        assert contents.name == expect
