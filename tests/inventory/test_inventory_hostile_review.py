"""Hostile inventory sources: numbers past Python's int limit in every JSON format."""

from __future__ import annotations

import json
from pathlib import Path

from seawall_testlib import run_seawall

BIG = "9" * 5000  # Python refuses to convert integer literals longer than 4300 digits

HUGE_NUMBER_FILES = {
    "plan.json": '{"format_version": "1.0", "values": {"root_module": {"resources": '
    '[{"address": "a", "type": "aws_lambda_function", "values": {"timeout": ' + BIG + "}}]}}}",
    "pod.json": '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, '
    '"spec": {"x": ' + BIG + "}}",
    "az-graph.json": '{"data": [{"id": "/subscriptions/s", "type": "microsoft.web/sites", '
    '"x": ' + BIG + "}]}",
    "gcp-assets.jsonl": '{"name": "//run.googleapis.com/x", '
    '"asset_type": "run.googleapis.com/Service", "x": ' + BIG + "}\n",
    "aws-config.json": '{"configurationItems": [{"resourceType": "AWS::ECS::TaskDefinition", '
    '"configuration": {"x": ' + BIG + "}}]}",
    "pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec: {x: " + BIG + "}\n",
}
GOOD = "apiVersion: v1\nkind: Pod\nmetadata: {name: fine}\nspec: {containers: [{image: nginx}]}\n"


def _estate(tmp_path: Path) -> Path:
    root = tmp_path / "estate"
    root.mkdir()
    for name, text in HUGE_NUMBER_FILES.items():
        (root / name).write_text(text)
    (root / "good.yaml").write_text(GOOD)
    return root


def test_a_number_past_the_int_limit_names_its_file_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    # json.loads raises a plain ValueError here (not JSONDecodeError): every reader let it
    # through as a traceback, and no inventory was written.
    out = tmp_path / "inventory.json"
    done = run_seawall("inventory", str(_estate(tmp_path)), "-f", "json", "-o", str(out))
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode()
    assert "Traceback" not in err
    warnings = err.strip().splitlines()
    for name in HUGE_NUMBER_FILES:
        (line,) = [w for w in warnings if f"/{name}" in w]
        assert "a number longer than 4300 digits" in line
        assert len(line) < 300  # the 5,000 digits are not echoed
    names = [a["name"] for a in json.loads(out.read_text())["assets"]]
    assert "fine" in names


def test_coverage_of_raw_sources_with_a_huge_number_still_builds_the_matrix(
    tmp_path: Path,
) -> None:
    out = tmp_path / "coverage.json"
    done = run_seawall("coverage", str(_estate(tmp_path)), "-f", "json", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    assert b"plan.json: not valid JSON: a number longer than 4300 digits" in done.stderr
    assert json.loads(out.read_text())["schema"].startswith("seawall.coverage")


def test_a_string_holding_a_huge_number_is_a_warning_for_that_record(tmp_path: Path) -> None:
    export = tmp_path / "aws-config.json"
    export.write_text(
        json.dumps(
            {
                "configurationItems": [
                    {
                        "resourceType": "AWS::ECS::TaskDefinition",
                        "resourceId": "td-1",
                        "configuration": '{"x": ' + BIG + "}",
                    }
                ]
            }
        )
    )
    done = run_seawall("inventory", str(export), "-f", "json")
    assert done.returncode == 0
    assert done.stderr.decode().strip() == f"warning: {export}: td-1: configuration not JSON"


def test_a_lone_surrogate_escape_names_its_file_and_a_paired_one_is_text(tmp_path: Path) -> None:
    # "\ud800" alone is JSON syntax but not text: the report writers crashed encoding it
    # (UnicodeEncodeError traceback, nothing written) for a whole inventory or coverage run.
    root = tmp_path / "estate"
    root.mkdir()
    (root / "pod.json").write_text(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p\\ud800"}, '
        '"spec": {"containers": [{"name": "c", "image": "nginx"}]}}'
    )
    (root / "az-graph.json").write_text(
        '{"data": [{"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a", '
        '"name": "a", "type": "microsoft.web/sites", "kind": "app,linux,container", '
        '"properties": {"siteConfig": {"linuxFxVersion": "DOCKER|nginx\\udc00"}}}]}'
    )
    (root / "anchored.yaml").write_text(
        'apiVersion: v1\nkind: Pod\nmetadata: {name: &n "q\\ud800"}\n'
        "spec: {containers: [{name: *n, image: nginx}]}\n"
    )
    (root / "emoji.json").write_text(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "smile-\\ud83d\\ude00"}, '
        '"spec": {"containers": [{"name": "c", "image": "nginx"}]}}'
    )
    for verb in ("inventory", "coverage"):
        out = tmp_path / f"{verb}.json"
        done = run_seawall(verb, str(root), "-f", "json", "-o", str(out))
        err = done.stderr.decode()
        assert done.returncode == 0 and "Traceback" not in err, err
        assert f"{root}/pod.json:1: not valid JSON: a lone UTF-16 surrogate escape" in err
        assert f"{root}/az-graph.json: invalid JSON at line 1 column 223 (a lone UTF-16" in err
        assert f"{root}/anchored.yaml:1: invalid YAML (a lone UTF-16 surrogate escape" in err
    names = [a["name"] for a in json.loads((tmp_path / "inventory.json").read_text())["assets"]]
    assert "smile-\U0001f600" in names


def test_a_hostile_extra_catalog_is_one_line_with_exit_2(tmp_path: Path) -> None:
    # yaml.safe_load/compose: RecursionError, ValueError tracebacks and an unbounded alias
    # expansion; the catalog now goes through the same bounded loader as manifests
    estate = Path(__file__).resolve().parents[2] / "examples" / "estate" / "az-graph.json"
    bomb = "version: 1\nx0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
    )
    cases = {
        "deep.yaml": ("version: 1\nservices: " + "[" * 50_000 + "]" * 50_000, "nested too deeply"),
        "bomb.yaml": (bomb, "expand the document too much"),
        "huge.yaml": ("version: " + BIG + "\n", "a number longer than 4300 digits"),
        "date.yaml": ("version: 2024-13-45\n", "as timestamp: month must be in 1..12"),
        # the reader's error spans two lines ('in "<unicode string>", position 5')
        "control.yaml": ("version: 1\n\x01\n", "control characters are not allowed)"),
    }
    for name, (text, reason) in cases.items():
        catalog = tmp_path / name
        catalog.write_text(text)
        out = tmp_path / "coverage.json"
        done = run_seawall(
            "coverage", str(estate), "--catalog", str(catalog), "-f", "json", "-o", str(out)
        )
        err = done.stderr.decode().strip()
        assert done.returncode == 2, err
        assert err.startswith(f"seawall: error: {catalog}") and reason in err
        assert len(err.splitlines()) == 1 and len(err) < 300
        assert not out.exists()


SECRETS = (
    "S3cretEnv1", "S3cretConn1", "S3cretSas1", "AKIAIOSFODNN7EXAMPL3", "S3cretArg1",
    "S3cretCmd1", "S3cretApplied1", "S3cretTfEnv1", "S3cretTfApp1", "S3cretTfKey1",
    "S3cretTfConn1", "S3cretTfReg1", "S3cretAzApp1", "S3cretAzKey1", "S3cretAzConn1",
    "S3cretAzCa1", "S3cretAzCaEnv1", "S3cretUrl1",
)  # fmt: skip


def _credential_estate(root: Path) -> None:
    root.mkdir()
    (root / "k8s.yaml").write_text(
        """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"env":"S3cretApplied1"}'
spec:
  template:
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1
        args: ["--db-password=S3cretArg1", "--feed=https://u:S3cretUrl1@feed.example.com/"]
        command: ["sh", "-c", "export AWS_SECRET_ACCESS_KEY=S3cretCmd1"]
        env:
        - {name: DB_PASSWORD, value: S3cretEnv1}
        - {name: CONN, value: "Server=tcp:db;Password=S3cretConn1;"}
        - {name: BLOB, value: "https://a.blob.core.windows.net/c?sv=2022&sig=S3cretSas1"}
        - {name: AWS_ACCESS_KEY_ID, value: AKIAIOSFODNN7EXAMPL3}
        - {name: LOG_LEVEL, value: ""}
"""
    )
    (root / "plan.json").write_text(
        json.dumps(
            {
                "format_version": "1.2",
                "values": {
                    "root_module": {
                        "resources": [
                            {
                                "address": "aws_lambda_function.f",
                                "mode": "managed",
                                "type": "aws_lambda_function",
                                "name": "f",
                                "values": {
                                    "function_name": "f",
                                    "package_type": "Image",
                                    "image_uri": "1.dkr.ecr.us-east-1.amazonaws.com/f:1",
                                    "environment": [{"variables": {"DB_PASSWORD": "S3cretTfEnv1"}}],
                                },
                            },
                            {
                                "address": "azurerm_linux_web_app.w",
                                "mode": "managed",
                                "type": "azurerm_linux_web_app",
                                "name": "w",
                                "values": {
                                    "name": "w",
                                    "app_settings": {
                                        "DOCKER_REGISTRY_SERVER_PASSWORD": "S3cretTfApp1",
                                        "STORAGE": "AccountName=a;AccountKey=S3cretTfKey1",
                                    },
                                    "connection_string": [
                                        {"name": "db", "type": "SQLAzure", "value": "S3cretTfConn1"}
                                    ],
                                    "site_config": [
                                        {
                                            "application_stack": [
                                                {
                                                    "docker_image_name": "nginx:1",
                                                    "docker_registry_password": "S3cretTfReg1",
                                                }
                                            ]
                                        }
                                    ],
                                },
                            },
                        ]
                    }
                },
            }
        )
    )
    site = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/w"
    app = "/subscriptions/s/resourceGroups/r/providers/Microsoft.App/containerApps/ca"
    (root / "az-graph.json").write_text(
        json.dumps(
            {
                "data": [
                    {
                        "id": site,
                        "name": "w",
                        "type": "microsoft.web/sites",
                        "kind": "app,linux,container",
                        "properties": {
                            "siteConfig": {
                                "linuxFxVersion": "DOCKER|nginx:1",
                                "appSettings": [
                                    {"name": "REGISTRY_PASSWORD", "value": "S3cretAzApp1"},
                                    {"name": "Storage", "value": "AccountKey=S3cretAzKey1"},
                                ],
                                "connectionStrings": [
                                    {"name": "db", "connectionString": "S3cretAzConn1"}
                                ],
                            }
                        },
                    },
                    {
                        "id": app,
                        "name": "ca",
                        "type": "microsoft.app/containerapps",
                        "properties": {
                            "configuration": {"secrets": [{"name": "s", "value": "S3cretAzCa1"}]},
                            "template": {
                                "containers": [
                                    {
                                        "name": "c",
                                        "image": "x.azurecr.io/c:1",
                                        "env": [{"name": "PW", "value": "S3cretAzCaEnv1"}],
                                    }
                                ]
                            },
                        },
                    },
                ]
            }
        )
    )


def test_credentials_in_manifests_plans_and_exports_reach_no_output(tmp_path: Path) -> None:
    # inventory.json kept Kubernetes objects unredacted and, for Terraform and cloud
    # records, only attributes named exactly `password`, `token`, ...: env values, app
    # settings, connection strings, SAS signatures, access key ids were all written out.
    root = tmp_path / "estate"
    _credential_estate(root)
    written = []
    for verb, formats in (("inventory", ("table", "json")), ("coverage", ("json", "html"))):
        for fmt in formats:
            out = tmp_path / f"{verb}.{fmt}"
            done = run_seawall(verb, str(root), "-f", fmt, "-o", str(out))
            assert done.returncode == 0, done.stderr
            written.append(out.read_text() + done.stderr.decode())
    inventory = tmp_path / "inventory.json"
    done = run_seawall("harden", str(inventory), "-f", "sarif")
    written.append(done.stdout.decode() + done.stderr.decode())
    for text in written:
        assert not [s for s in SECRETS if s in text]
    # what the checks and the reader need is kept: names, flags, empties, the findings
    assets = json.loads(inventory.read_text())["assets"]
    (web,) = [a for a in assets if a["name"] == "web"]
    env = web["properties"]["raw"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env[0] == {"name": "DB_PASSWORD", "value": "<redacted>"}
    assert env[4] == {"name": "LOG_LEVEL", "value": ""}
    args = web["properties"]["raw"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == [
        "--db-password=<redacted>",
        "--feed=https://u:<redacted>@feed.example.com/",
    ]
    assert "k8s-secrets-in-env" in done.stdout.decode()
    assert "aws-lambda-secrets-in-env" in done.stdout.decode()


def test_redacting_crafted_strings_stays_linear() -> None:
    import time

    from seawall.inventory.redact import redact_credentials

    crafted = ["a-" * 50_000, "a://" + "b:" * 50_000, "password" + " " * 100_000, "x=" * 50_000]
    start = time.monotonic()
    out = redact_credentials({"args": crafted})
    assert time.monotonic() - start < 2  # an unbounded scheme repeat took ~30 s here
    assert out["args"][0] == crafted[0]


def test_markup_and_escape_sequences_in_names_are_shown_as_typed(tmp_path: Path) -> None:
    # rich parses markup in table cells and messages: a Deployment named "[/bold]x" ended
    # 'inventory', 'harden' and 'coverage' tables in a MarkupError traceback, and an ESC
    # in a namespace reached the terminal (OSC 8 links, screen clears)
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        "apiVersion: apps/v1\nkind: Deployment\n"
        'metadata: {name: "[/bold]x[link=http://evil.example]y", namespace: "\\e]8;;http://evil\\a"}\n'
        'spec: {template: {spec: {containers: [{name: c, image: "nginx:1\\e[2J"}]}}}\n'
    )
    for verb in ("inventory", "harden", "coverage"):
        done = run_seawall(verb, str(manifest))
        out = done.stdout.decode()
        assert done.returncode == 0, done.stderr
        assert "[/bold]x[link=http://evil.example]y" in out
        assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J" in run_seawall("inventory", str(manifest)).stdout.decode()
    missing = tmp_path / "[/bold].yaml"
    done = run_seawall("inventory", str(missing))
    assert done.returncode == 2
    assert done.stderr.decode().startswith(f"seawall: error: {missing}")


def test_services_find_their_workloads_without_comparing_every_pair() -> None:
    # each Service was matched against every workload of its namespace: 5,000 Services x
    # 5,000 Deployments in one namespace took 44 s; now by label index
    import time

    from seawall.inventory.sources.kubernetes import transform_objects
    from seawall.model import Location, SourceObject

    def obj(kind: str, name: str, body: dict[str, object]) -> SourceObject:
        return SourceObject(
            format="k8s",
            kind=kind,
            name=name,
            namespace="ns",
            body=body,
            location=Location(path="m.yaml"),
        )

    count = 4000
    objects = []
    for i in range(count):
        labels = {"app": f"a{i}", "tier": "web"}
        objects.append(
            obj(
                "Deployment",
                f"d{i}",
                {"spec": {"template": {"metadata": {"labels": labels}, "spec": {}}}},
            )
        )
        selector = {"tier": "web", "app": f"a{i}"}
        objects.append(
            obj("Service", f"s{i}", {"spec": {"type": "NodePort", "selector": selector}})
        )
    start = time.monotonic()
    part = transform_objects(objects)
    assert time.monotonic() - start < 10
    exposed = [r for r in part.relations if r.kind == "exposed-by"]
    assert len(exposed) == count
    assert exposed[7].source.endswith("/Deployment/d7") and exposed[7].target.endswith("/s7")


def test_a_harden_result_with_findings_of_the_wrong_type_is_read_not_a_traceback(
    tmp_path: Path,
) -> None:
    estate = Path(__file__).resolve().parents[2] / "examples" / "estate" / "az-graph.json"
    result = tmp_path / "harden.json"
    result.write_text(json.dumps({"schema": "seawall.harden/v1", "findings": 5}))
    done = run_seawall("coverage", str(estate), str(result), "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"]


def test_a_deeply_nested_inventory_document_is_named_not_a_traceback(tmp_path: Path) -> None:
    document = tmp_path / "inventory.json"
    document.write_text(
        '{"schema": "seawall.inventory/v1", "generated_at": "x", "sources": [], '
        '"assets": [{"id": "a", "kind": "workload", "name": "n", "provider": "aws", '
        '"properties": {"raw": ' + "[" * 100_000 + "]" * 100_000 + "}}]}"
    )
    for verb in ("coverage", "inventory"):
        done = run_seawall(verb, str(document))
        assert done.returncode == 2
        assert done.stderr.decode().strip() == (
            f"seawall: error: no input could be read: {document}: JSON nested too deeply; skipped"
        )


def test_image_references_and_plain_words_are_not_mistaken_for_credentials() -> None:
    from seawall.inventory.redact import redact_credentials

    body = {
        "containers": [{"name": "c", "image": "myorg/vault-token:latest", "args": ["-v"]}],
        "linuxFxVersion": "DOCKER|repo/secret-manager:1.0",
        "automountServiceAccountToken": False,
        "env": [{"name": "TOKEN", "value": "${var.token}"}],
        "command": ["run", "--password: hunter2", "password=x"],
    }
    out = redact_credentials(body)
    assert out["containers"] == body["containers"]  # harden reads the same image tag
    assert out["linuxFxVersion"] == body["linuxFxVersion"]
    assert out["automountServiceAccountToken"] is False
    assert out["env"] == body["env"]  # a Terraform reference, not a literal
    assert out["command"] == ["run", "--password: <redacted>", "password=<redacted>"]
