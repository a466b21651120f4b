"""Malformed and hostile suppression inputs: one InputError naming file and entry, fast.

Before, each of these was a Python traceback (TypeError/AttributeError/ValueError) or, for
YAML aliases, a hang while the reason text was built."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from seawall.errors import InputError
from seawall.vulns.suppress import load_ignore_file, load_vex

TODAY = dt.date(2026, 6, 1)
LAUGHS = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n" for i in range(1, 10)
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (LAUGHS + "ignore:\n- id: CVE-2024-1\n  reason: *l9\n", "alias bomb"),
        (LAUGHS + "ignore:\n- id: CVE-2024-1\n  purl: *l9\n", "alias bomb"),
        ("- id: CVE-2024-1\n  expires: 2024-13-45\n", "line 2: not valid YAML .*2024-13-45"),
        ("- id: CVE-2024-1\n  reason: " + "[" * 20_000 + "]" * 20_000, "nested too deeply"),
        ("- id: CVE-2024-1\n  purl: [pkg:pypi/x]\n", "entry 1: 'purl' must be a string"),
        ("- id: CVE-2024-1\n  reason: {a: 1}\n", "entry 1: 'reason' must be text"),
    ],
)
def test_hostile_ignore_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / ".seawallignore"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as caught:
        load_ignore_file(path, today=TODAY)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_a_non_utf8_ignore_file_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / ".seawallignore"
    path.write_bytes(b"- id: CVE-2024-1\n  reason: \xff\n")
    with pytest.raises(InputError, match="not UTF-8 at byte 27"):
        load_ignore_file(path, today=TODAY)


OPENVEX = "https://openvex.dev/ns/v0.2.0"


def _openvex(statement: dict[str, Any]) -> dict[str, Any]:
    return {"@context": OPENVEX, "statements": [{"vulnerability": "CVE-2024-1"} | statement]}


def _cdx(vuln: dict[str, Any] | int) -> dict[str, Any]:
    body = vuln if isinstance(vuln, int) else [{"id": "CVE-2024-1"} | vuln]
    return {"bomFormat": "CycloneDX", "specVersion": "1.5", "vulnerabilities": body}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_openvex({"status": ["not_affected"]}), "statement 1: 'status' must be a string"),
        (
            _openvex({"status": "fixed", "vulnerability": {"name": "CVE-1", "aliases": 5}}),
            "statement 1: 'aliases' must be a list",
        ),
        (_openvex({"status": "not_affected", "products": 5}), "'products' must be a list"),
        (
            _openvex({"status": "fixed", "products": [{"@id": "x", "subcomponents": 7}]}),
            "statement 1: 'subcomponents' must be a list",
        ),
        (_cdx(5), "'vulnerabilities' must be a list"),
        (_cdx({"analysis": ["x"]}), "vulnerability 1: 'analysis' must be an object"),
        (
            _cdx({"analysis": {"state": "not_affected"}, "references": 5}),
            "vulnerability 1: 'references' must be a list",
        ),
        (
            _cdx({"analysis": {"state": "not_affected"}, "affects": 5}),
            "vulnerability 1: 'affects' must be a list",
        ),
    ],
)
def test_malformed_vex_documents(tmp_path: Path, doc: dict[str, Any], message: str) -> None:
    path = tmp_path / "vex.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=message) as caught:
        load_vex(path)
    assert str(caught.value).startswith(str(path))


def test_odd_but_harmless_vex_values_are_ignored_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "vex.json"
    doc = _cdx(
        {
            "analysis": {"state": "not_affected", "justification": ["x"], "detail": {"a": 1}},
            "references": [{"id": ["x"]}, {"id": "GHSA-aaaa-bbbb-cccc"}],
        }
    )
    doc["components"] = [{"bom-ref": ["x"], "purl": {"a": 1}}]
    path.write_text(json.dumps(doc))
    (rule,) = load_vex(path).rules
    assert rule.ids == {"CVE-2024-1", "GHSA-aaaa-bbbb-cccc"}
    assert rule.reason == "not_affected" and rule.any_package
    path.write_text(json.dumps(_cdx({"analysis": {"state": ["not_affected"]}})))
    assert load_vex(path).rules == []
