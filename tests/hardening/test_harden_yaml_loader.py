"""The manifest loader (load_yaml) builds exactly what libyaml's safe loader builds
(yaml.load with CSafeLoader, what it used before its fast path) and fails with the same
error; the values are yaml.safe_load's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from seawall.inputs import load_yaml
from seawall.inventory.sources.kubernetes import read_text_objects

DOCUMENTS = [
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {app: web}}\n"
    "spec:\n  hostNetwork: true\n  containers:\n  - name: a\n    image: nginx:1.25\n"
    "    ports: [{containerPort: 80, hostPort: 8080}]\n",
    "a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf: '1'\ng: \"yes\"\nh: on\ni: 0x1F\nj: 0o17\n"
    "k: 1_000\nl: .inf\nm: -.nan\nn: 2024-01-02\no: 2024-01-02T03:04:05Z\np: 190:20:30\n",
    "1: int key\n2.5: float key\ntrue: bool key\n~: null key\n",
    "dup: first\ndup: second\n",
    "base: {x: 1}\nmerged:\n  <<: {x: 2, y: 3}\n  y: 4\n",
    "= : value key\n",
    "? [a, b]\n: complex key\n",
    "? {a: 1}\n: mapping key\n",
    "data: !!binary aGVsbG8=\n",
    "set: !!set {a, b}\n",
    "omap: !!omap [a: 1, b: 2]\n",
    "pairs: !!pairs [a: 1, a: 2]\n",
    "ref: !Ref bucket\n",
    "tagged: !!str 123\nint: !!int '7'\nfloat: !!float '1'\n",
    "!!map {a: 1}\n",
    "- 1\n- [2, [3, {four: 4}]]\n- ''\n- \"\"\n",
    "plain scalar\n",
    "",
    "# only a comment\n",
    "key: [unclosed\n",
    "a: b: c\n",
    "--- 1\n--- 2\n",
    "t: 2001-12-14 21:59:43.10 -5\n",
    "cmd: wget http://x 2>&1 | awk '{print $2}'\nq: a&b\nu: http://h/?a=1&b=2\n",
    "a: &x {k: 1}\nb: *x\nc: [&y 2, *y]\n",
]


def _outcome(load: Any, text: str) -> tuple[str, str]:
    try:
        return "ok", repr(load(text))
    except yaml.YAMLError as exc:
        return type(exc).__name__, str(exc)


def _c_safe_load(text: str) -> Any:
    return yaml.load(text, Loader=yaml.CSafeLoader)


@pytest.mark.parametrize("text", DOCUMENTS)
def test_load_yaml_equals_libyaml_safe_load_value_and_error(text: str) -> None:
    assert yaml.__with_libyaml__  # installed with the project (pyyaml wheels bundle it)
    assert _outcome(load_yaml, text) == _outcome(_c_safe_load, text)
    if _outcome(load_yaml, text)[0] == "ok":
        assert _outcome(load_yaml, text) == _outcome(yaml.safe_load, text)


def test_scalar_types_are_yaml_1_1_safe_types() -> None:
    data = load_yaml(DOCUMENTS[1])
    assert data["a"] == 1 and data["c"] is True and data["d"] is None and data["h"] is True
    assert data["f"] == "1" and data["i"] == 31 and data["k"] == 1000
    assert data["n"] == dt.date(2024, 1, 2) and data["p"] == 685230


def test_custom_tag_is_still_a_named_error_in_a_manifest(tmp_path: Any) -> None:
    path = tmp_path / "bad.yaml"
    objects, warnings = read_text_objects(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: !Ref x\n",
        path,
    )
    assert [o.name for o in objects] == ["ok"]
    assert len(warnings) == 1 and "invalid YAML" in warnings[0] and ":7:" in warnings[0]


def test_without_libyaml_the_python_loader_gives_the_same_objects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    for text in DOCUMENTS:
        expected = _outcome(yaml.safe_load, text)
        if expected[0] == "ok":
            assert _outcome(load_yaml, text) == expected
        else:
            assert _outcome(load_yaml, text)[0] != "ok"


@pytest.mark.parametrize(
    "text",
    ["a: 1\nwhen: 2024-13-45\n", "a: &x 1\nb: *x\nwhen: 2024-02-31\n"],
    ids=["libyaml", "python-loader"],
)
def test_a_date_that_does_not_exist_is_a_yaml_error_not_a_crash(text: str) -> None:
    with pytest.raises(yaml.YAMLError, match=r"month must be in 1\.\.12|day is out of range"):
        load_yaml(text)


def test_manifest_with_an_impossible_date_is_named_and_skipped(tmp_path: Any) -> None:
    objects, warnings = read_text_objects(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata:\n  day: 2024-13-45\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: ok}\n",
        tmp_path / "dates.yaml",
    )
    assert [o.name for o in objects] == ["ok"]
    assert len(warnings) == 1
    assert ":5: invalid YAML (cannot read '2024-13-45' as timestamp" in warnings[0]
