"""Credential redaction in inventory.json replaces secrets, not the names that point at them."""

from __future__ import annotations

import json
from pathlib import Path

from seawall_testlib import run_seawall

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: prod
  labels: {app: shop, env: prod}
spec:
  template:
    metadata:
      labels: {app: shop, env: prod}
    spec:
      imagePullSecrets: [{name: regcred}]
      containers:
        - name: web
          image: registry.example.com/shop:1.4
          ports: [{containerPort: 8080}]
          env:
            - {name: DB_PASSWORD, value: Pl4intextSecret}
            - name: API_TOKEN
              valueFrom: {secretKeyRef: {name: shop-api, key: token}}
          envFrom: [{secretRef: {name: shop-env}}]
          volumeMounts: [{name: tls, mountPath: /tls}]
      volumes:
        - name: tls
          secret: {secretName: shop-tls, items: [{key: tls.crt, path: cert.pem}]}
"""


def test_labels_and_secret_references_stay_as_written(tmp_path: Path) -> None:
    # The redaction of a864c03 replaced the string under every env-like or secret-like key:
    # a label or tag `env: prod` (the bundled example estate's AKS/GKE tags), the Secret a
    # secretKeyRef/secretRef/secretName/imagePullSecrets names, all read "<redacted>" in
    # inventory.json, though none of them is a credential.
    (tmp_path / "shop.yaml").write_text(DEPLOYMENT)
    out = tmp_path / "inventory.json"
    done = run_seawall("inventory", str(tmp_path / "shop.yaml"), "-f", "json", "-o", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "Pl4intextSecret" not in text  # the literal credential is still replaced
    (shop,) = [a for a in json.loads(text)["assets"] if a["name"] == "shop"]
    raw = shop["properties"]["raw"]
    assert raw["metadata"]["labels"] == {"app": "shop", "env": "prod"}
    pod = raw["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert pod["volumes"][0]["secret"]["secretName"] == "shop-tls"
    assert pod["volumes"][0]["secret"]["items"][0]["path"] == "cert.pem"
    (web,) = pod["containers"]
    assert web["image"] == "registry.example.com/shop:1.4"
    assert web["env"][0] == {"name": "DB_PASSWORD", "value": "<redacted>"}
    assert web["env"][1]["valueFrom"] == {"secretKeyRef": {"name": "shop-api", "key": "token"}}
    assert web["envFrom"] == [{"secretRef": {"name": "shop-env"}}]


def test_tags_named_env_and_secret_entry_names_are_kept() -> None:
    from seawall.inventory.redact import redact_credentials

    record = {
        "tags": {"env": "prod", "environment": "staging"},
        "environment": {"Variables": {"DB_URL": "postgres://app@db/app", "MODE": "x"}},
        "secrets": [
            {"name": "registry-password", "value": "S3cretAca"},
            {"name": "db", "valueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:db"},
        ],
        "credentials": {"name": "admin", "password": "S3cretPw"},
        "env": [  # Cloud Run v2: the Secret Manager secret a variable is read from
            {"name": "DB_PASS", "valueSource": {"secretKeyRef": {"secret": "db", "version": "3"}}}
        ],
    }
    out = redact_credentials(record)
    assert out["tags"] == record["tags"]
    assert out["environment"] == {"Variables": {"DB_URL": "<redacted>", "MODE": "<redacted>"}}
    assert out["secrets"] == [
        {"name": "registry-password", "value": "<redacted>"},
        {"name": "db", "valueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:db"},
    ]
    assert out["credentials"] == {"name": "admin", "password": "<redacted>"}
    assert out["env"] == record["env"]


def test_a_name_value_setting_named_like_a_credential_is_redacted(tmp_path: Path) -> None:
    # An Elastic Beanstalk option setting in the application:environment namespace is an
    # environment variable as {name, value}, outside any env key: DB_PASSWORD's value was
    # written to inventory.json in clear. Other settings keep their values.
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_elastic_beanstalk_environment.web",
                        "mode": "managed",
                        "type": "aws_elastic_beanstalk_environment",
                        "name": "web",
                        "values": {
                            "name": "web-prod",
                            "application": "web",
                            "solution_stack_name": "64bit Amazon Linux 2023 running Docker",
                            "setting": [
                                {
                                    "namespace": "aws:elasticbeanstalk:application:environment",
                                    "name": "DB_PASSWORD",
                                    "value": "EbS3cretPw",
                                },
                                {
                                    "namespace": "aws:autoscaling:launchconfiguration",
                                    "name": "InstanceType",
                                    "value": "t3.micro",
                                },
                            ],
                        },
                    }
                ]
            }
        },
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    out = tmp_path / "inventory.json"
    done = run_seawall("inventory", str(tmp_path / "plan.json"), "-f", "json", "-o", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "EbS3cretPw" not in text
    assert '"t3.micro"' in text and '"DB_PASSWORD"' in text
