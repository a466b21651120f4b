"""GuardDuty Runtime Monitoring on ECS Fargate, per cluster (pure).

GuardDuty deploys its security agent to Fargate tasks only through automated agent
management, which AWS decides per cluster from the account setting and the cluster's
`GuardDutyManaged` tag: `true` includes a cluster even when account-level
ECS_FARGATE_AGENT_MANAGEMENT is off, `false` excludes it when that setting is on
(https://docs.aws.amazon.com/guardduty/latest/ug/managing-gdu-agent-ecs-automated.html).
The account-level `aws.guardduty-ecs-runtime` state carries details `runtime_monitoring` and
`agent_management` (on|off); this module combines them with each ECS cluster's tags into a
ControlState scoped to every Fargate service of that cluster (and the cluster itself).
"""

from __future__ import annotations

from seawall.inventory.base import ControlState, InventoryPart
from seawall.model import Asset

CONTROL = "aws.guardduty-ecs-runtime"
TAG = "GuardDutyManaged"


def managed_tag(cluster: Asset) -> str:
    """ "true", "false" or "" (absent or another value) from the cluster's GuardDutyManaged tag."""
    for key, value in cluster.tags.items():
        if key == TAG:
            lowered = str(value).strip().lower()
            return lowered if lowered in ("true", "false") else ""
    return ""


def _account_state(asset: Asset, states: dict[str, ControlState]) -> ControlState | None:
    scopes = []
    if asset.account:
        if asset.region:
            scopes.append(f"aws:{asset.account}/{asset.region}")
        scopes.append(f"aws:{asset.account}")
    scopes.append("aws:*")
    for scope in scopes:
        state = states.get(scope)
        if state is not None and state.details.get("runtime_monitoring") in ("on", "off"):
            return state
    return None


def _is_ecs_cluster(asset: Asset) -> bool:
    raw_type = str(asset.properties.get("raw_type", ""))
    return asset.kind == "cluster" and raw_type in ("AWS::ECS::Cluster", "aws_ecs_cluster")


def fargate_agent_controls(part: InventoryPart) -> list[ControlState]:
    """Per-cluster `aws.guardduty-ecs-runtime` states for ECS clusters and Fargate services.

    Only clusters whose region has a known Runtime Monitoring state with runtime monitoring
    on are decided (with it off, the account-level "off" already holds); a state is added only
    where it differs from the account-level one, so unchanged estates stay unchanged.
    """
    account_states = {c.scope: c for c in part.controls if c.control == CONTROL}
    existing = {c.scope for c in part.controls if c.control == CONTROL}
    clusters = {a.id: a for a in part.assets if _is_ecs_cluster(a)}
    members: dict[str, list[Asset]] = {}
    by_id = {a.id: a for a in part.assets}
    for relation in part.relations:
        if relation.kind == "member-of" and relation.target in clusters:
            asset = by_id.get(relation.source)
            if asset is not None and asset.service == "aws.ecs-fargate":
                members.setdefault(relation.target, []).append(asset)
    out: list[ControlState] = []
    for cluster_id, cluster in sorted(clusters.items()):
        account = _account_state(cluster, account_states)
        if account is None or account.details.get("runtime_monitoring") != "on":
            continue
        tag = managed_tag(cluster)
        automated = account.details.get("agent_management") == "on"
        status = "on" if tag == "true" or (automated and tag != "false") else "off"
        if status == account.status:
            continue
        if tag:
            reason = f"cluster tagged {TAG}={tag}"
        else:
            reason = "ECS Fargate agent management off and cluster not tagged GuardDutyManaged=true"
        details = {
            "cluster": cluster_id,
            "guardduty_managed_tag": tag or "absent",
            "agent_management": "on" if automated else "off",
            "account_scope": account.scope,
            "reason": reason,
        }
        for scope in [cluster_id, *sorted(a.id for a in members.get(cluster_id, []))]:
            if scope in existing:
                continue
            existing.add(scope)
            out.append(
                ControlState(
                    control=CONTROL,
                    scope=scope,
                    status=status,
                    source=account.source,
                    details=details,
                )
            )
    return out
