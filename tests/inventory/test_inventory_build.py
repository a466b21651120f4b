"""build_inventory on hostile and mixed inputs: nothing escapes, bad files are warnings."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from seawall_testlib import DATA

from seawall import inputs
from seawall.errors import InputError
from seawall.inventory.build import build_inventory, load_inventory_document


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    estate = tmp_path / "estate"
    estate.mkdir()
    (estate / "ok.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\n"
        "spec: {containers: [{name: c, image: 'busybox:1.36'}]}\n"
    )
    os.symlink("/etc/passwd", estate / "passwd.yaml")
    os.symlink(DATA / "inventory" / "estate", estate / "elsewhere")
    inventory = build_inventory([estate], {})
    assert [a.id for a in inventory.assets] == ["k8s:default/a/Pod/p"]
    assert not any("root:" in json.dumps(a.properties) for a in inventory.assets)
    with pytest.raises(InputError, match="symbolic link"):
        inputs.read_text(estate / "passwd.yaml")


def test_oversized_and_broken_files_are_warnings_and_the_rest_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inputs, "MAX_FILE_BYTES", 1000)
    big = tmp_path / "big.yaml"
    big.write_text("apiVersion: v1\nkind: ConfigMap\n" + "# padding\n" * 200)
    broken = tmp_path / "tfplan.json"
    broken.write_text('{"format_version": "1.2", "planned_values": ')
    good = tmp_path / "web.yaml"
    good.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
        "spec: {template: {spec: {containers: [{name: web, image: 'nginx:1.25.3'}]}}}\n"
    )
    inventory = build_inventory([big, broken, good], {})
    assert any(w.startswith(f"{big}: file is") for w in inventory.warnings)
    assert any(w.startswith(f"{broken}:") and "not valid JSON" in w for w in inventory.warnings)
    assert any(a.name == "web" for a in inventory.assets)


def test_duplicate_assets_from_two_inputs_are_merged(tmp_path: Path) -> None:
    state = DATA / "inventory" / "estate" / "gcp-tfstate.json"
    copy = tmp_path / "again" / "gcp-tfstate.json"
    copy.parent.mkdir()
    copy.write_bytes(state.read_bytes())
    once = build_inventory([state], {})
    twice = build_inventory([state, copy], {})
    assert [a.id for a in twice.assets] == [a.id for a in once.assets]
    assert len(twice.relations) == len(once.relations)


def test_inventory_document_round_trip(tmp_path: Path) -> None:
    from seawall.report.output import to_json

    inventory = build_inventory([DATA / "inventory" / "estate" / "gcp-tfstate.json"], {})
    path = tmp_path / "inventory.json"
    path.write_bytes(to_json(inventory))
    again = load_inventory_document(path)
    assert again.assets == inventory.assets and again.controls == inventory.controls
    path.write_text('{"schema": "seawall.sbom/v1"}')
    with pytest.raises(InputError, match=r"expected 'seawall\.inventory/v1'"):
        load_inventory_document(path)
