"""Start-up: `seawall harden` on YAML imports only what YAML needs, so the fixed cost of
every run (most of a corpus-sized run) cannot silently grow back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from seawall_testlib import REPO

# Run the real entry point in a fresh interpreter, then report what it had imported.
_PROBE = """
import json, sys
from seawall.cli import main
sys.argv = ["seawall", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

# Modules a harden run on Kubernetes YAML has no use for: rich's help and traceback
# renderers, the HCL parser, the cloud services' rules and normalisers, and the other
# stages' command modules.
NOT_FOR_YAML = (
    "typer.rich_utils",
    "rich.traceback",
    "rich.console",
    "rich.progress",
    "hcl2",
    "lark",
    "seawall.hardening.rules.cloud",
    "seawall.hardening.normalize.cloud",
    "seawall.inventory.sources.terraform",
    "seawall.vulns.commands",
    "seawall.detect.commands",
    "seawall.inventory.commands",
    "seawall.packages.commands",
)


def _probe(*args: str) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], env=env, capture_output=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.decode().splitlines()[-1])
    return result


def test_harden_on_yaml_does_not_import_rich_hcl_or_other_verbs(tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
        "spec:\n  containers:\n    - name: web\n      image: nginx\n"
        "      securityContext: {privileged: true}\n"
    )
    out = tmp_path / "out.json"
    result = _probe("harden", str(manifest), "--format", "json", "--output", str(out))
    assert result["code"] == 0
    rules = {f["rule"] for f in json.loads(out.read_text())["findings"]}
    assert "pss-baseline-privileged" in rules
    modules = result["modules"]
    assert isinstance(modules, list)
    loaded = [m for m in NOT_FOR_YAML if any(x == m or x.startswith(m + ".") for x in modules)]
    assert loaded == []
    assert "seawall.hardening.scan" in modules and "yaml" in modules


def test_help_still_lists_every_verb() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), COLUMNS="200")
    for args in (["--help"], ["-h", "harden"]):
        done = subprocess.run(
            [sys.executable, "-m", "seawall", *args], env=env, capture_output=True, check=True
        )
        text = done.stdout.decode()
        for verb in ("sbom", "image", "inventory", "coverage", "harden", "db", "detect"):
            assert f" {verb} " in text


def test_rule_module_table_names_the_kinds_each_module_checks() -> None:
    # harden imports only the rule modules of the kinds it found (RULE_MODULES): a rule
    # whose kind its module does not declare would silently never run.
    from seawall.hardening.engine import builtin_rules, builtin_rules_for
    from seawall.hardening.rules import RULE_MODULES

    named = {k for kinds in RULE_MODULES.values() if kinds for k in kinds}
    rules = builtin_rules()
    for r in rules.values():
        served = RULE_MODULES[r.check.__module__]
        if served is None:
            assert not set(r.targets) & named, r.id
        else:
            assert set(r.targets) <= served, r.id
    kinds = {k for r in rules.values() for k in r.targets}
    for kind in kinds:
        expected = [i for i, r in rules.items() if kind in r.targets]
        assert [i for i in builtin_rules_for({kind})] == expected
