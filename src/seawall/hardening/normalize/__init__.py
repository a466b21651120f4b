"""Normalisation: every source format of the same thing becomes one dict per target kind.

A Kubernetes manifest and a live object become a pod target (`{"metadata", "spec"}`) or
an RBAC target; a Terraform resource (HCL, plan or state), an ARM/Resource Graph record,
an AWS API/Config record and a GCP Cloud Asset record of the same cloud service become one
dict with the same fields (see `cloud.py`), so one rule checks all of them.
"""

from __future__ import annotations

from seawall.hardening.engine import Target
from seawall.model import SourceObject

CLOUD_FORMATS = frozenset(
    {
        "terraform-plan",
        "terraform-state",
        "terraform-hcl",
        "arm",
        "azure-graph",
        "aws-api",
        "aws-config",
        "gcp-asset",
    }
)


def targets_for(obj: SourceObject, asset_id: str | None = None) -> list[Target]:
    """The targets one source object yields (none when seawall has no rules for it)."""
    if obj.format == "k8s":
        from seawall.hardening.normalize.k8s import k8s_targets

        return k8s_targets(obj, asset_id)
    if obj.format.startswith("terraform") and obj.kind.startswith("kubernetes_"):
        from seawall.hardening.normalize.terraform_k8s import terraform_k8s_targets

        return terraform_k8s_targets(obj, asset_id)
    if obj.format in CLOUD_FORMATS:
        from seawall.hardening.normalize.cloud import cloud_targets

        return cloud_targets(obj, asset_id)
    return []
