"""GCP Cloud Audit Logs (LogEntry with protoPayload) with the gcpaudit plugin's gcp.* fields."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from seawall.detect.sources.base import BadLine, EventSource
from seawall.detect.sources.jsonstream import read_batches
from seawall.detect.sources.plugin_common import common_fields, path_field

Event = dict[str, Any]


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _time(ev: Event) -> str | None:
    value = ev.get("timestamp") or ev.get("receiveTimestamp")
    return str(value) if value else None


FIELDS = [
    path_field("gcp.user", "protoPayload", "authenticationInfo", "principalEmail"),
    path_field("gcp.callerIP", "protoPayload", "requestMetadata", "callerIp"),
    path_field("gcp.userAgent", "protoPayload", "requestMetadata", "callerSuppliedUserAgent"),
    path_field("gcp.authorizationInfo", "protoPayload", "authorizationInfo"),
    path_field("gcp.serviceName", "protoPayload", "serviceName"),
    path_field("gcp.policyDelta", "protoPayload", "serviceData", "policyDelta"),
    path_field("gcp.request", "protoPayload", "request"),
    path_field("gcp.methodName", "protoPayload", "methodName"),
    path_field("gcp.cloudfunctions.function", "resource", "labels", "function_name"),
    path_field("gcp.cloudsql.databaseId", "resource", "labels", "database_id"),
    path_field("gcp.compute.instanceId", "resource", "labels", "instance_id"),
    path_field("gcp.compute.networkId", "resource", "labels", "network_id"),
    path_field("gcp.compute.subnetwork", "resource", "labels", "subnetwork_name"),
    path_field("gcp.compute.subnetworkId", "resource", "labels", "subnetwork_id"),
    path_field("gcp.dns.zone", "resource", "labels", "zone_name"),
    path_field("gcp.iam.serviceAccount", "resource", "labels", "email_id"),
    path_field("gcp.iam.serviceAccountId", "resource", "labels", "unique_id"),
    path_field("gcp.location", "resource", "labels", "location"),
    path_field("gcp.logging.sink", "resource", "labels", "name"),
    path_field("gcp.projectId", "resource", "labels", "project_id"),
    path_field("gcp.resourceName", "protoPayload", "resourceName"),
    path_field("gcp.resourceType", "resource", "type"),
    path_field("gcp.resourceLabels", "resource", "labels"),
    path_field("gcp.storage.bucket", "resource", "labels", "bucket_name"),
    path_field("gcp.time", "timestamp"),
]


def entries(value: Any) -> list[Event] | None:
    """The audit log entries in one decoded JSON value (an entry or a list), else None."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict) and "protoPayload" in v]
    if isinstance(value, dict) and "protoPayload" in value:
        return [value]
    return None


def read(stream: IO[bytes], name: str) -> Iterator[tuple[int, Event] | BadLine]:
    return read_batches(stream, name, entries, "not a GCP audit log entry (no protoPayload)")


def asset_of(ev: Event) -> str:
    resource = _obj(ev.get("resource"))
    labels = _obj(resource.get("labels"))
    project = labels.get("project_id", "")
    payload = _obj(ev.get("protoPayload"))
    return f"gcp:{project}/{resource.get('type', '')}/{payload.get('resourceName', '')}"


SOURCE = EventSource(
    name="gcpaudit",
    falco_source="gcp_auditlog",
    fields={f.name: f for f in [*FIELDS, *common_fields(_time, "gcpaudit")]},
    read=read,
    time_of=_time,
    # gcp.* up to gcp.resourceLabels (0.5.0; 0.6.0 and 0.7.0 added no field); json.*
    plugins=(("gcpaudit", "0.7.0"), ("json", "0.7.0")),
)
