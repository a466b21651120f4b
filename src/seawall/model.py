"""The shared vocabulary of every seawall stage.

Frozen, typed records (msgspec Structs): cheap to build, hashable where all fields are,
and encoded to JSON without a conversion layer. Nothing but data definitions lives here.
"""

from __future__ import annotations

import enum
from typing import Any

import msgspec


class Severity(enum.Enum):
    """Finding severity, ordered: compare with `rank`."""

    UNKNOWN = "unknown"
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse a severity name case-insensitively ('High', 'CRITICAL', 'moderate')."""
        key = text.strip().lower()
        key = _SEVERITY_ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise ValueError(
                f"unknown severity {text!r} (expected one of: "
                + ", ".join(s.value for s in cls)
                + ")"
            ) from None


_SEVERITY_RANK = {
    Severity.UNKNOWN: 0,
    Severity.INFO: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}
_SEVERITY_ALIASES = {
    "moderate": "medium",
    "important": "high",
    "negligible": "info",
    "informational": "info",
    "none": "info",
    "unimportant": "info",
}


class Layer(enum.Enum):
    """A stack layer: who owns it differs per cloud service."""

    APPLICATION = "application"  # the image and the application in it
    PLATFORM = "platform"  # the container service's configuration
    INFRASTRUCTURE = "infrastructure"  # VMs, network, storage, tenant settings


class Task(enum.Enum):
    """A security task that each layer needs."""

    HARDENING = "hardening"
    VULNERABILITY_MANAGEMENT = "vulnerability-management"
    THREAT_DETECTION = "threat-detection"


class Party(enum.Enum):
    """Who is responsible for a (layer, task) cell of a service."""

    CUSTOMER = "customer"
    PROVIDER = "provider"
    SHARED = "shared"


class ImageRef(msgspec.Struct, frozen=True, kw_only=True):
    """A reference to an image, in any transport seawall reads.

    transport: docker-archive | oci-layout | oci-archive | dir | registry
    location: file or directory path, or registry host/repository for `registry`
    """

    transport: str
    location: str
    tag: str | None = None
    digest: str | None = None
    platform: str | None = None

    def __str__(self) -> str:
        text = f"{self.transport}:{self.location}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


class Package(msgspec.Struct, frozen=True, kw_only=True):
    """One installed package found in an image or file system.

    type: deb | apk | rpm | pypi | npm | maven | golang (the purl type)
    ecosystem: the advisory ecosystem (OSV names: "Debian:12", "Alpine:v3.19", "PyPI", ...)
    layer: diff ID of the layer that introduced the package ("" for dir: sources)
    path: the file the package was read from, absolute inside the image
    """

    name: str
    version: str
    type: str
    purl: str
    ecosystem: str = ""
    source_name: str | None = None
    source_version: str | None = None
    arch: str | None = None
    epoch: int | None = None
    licenses: tuple[str, ...] = ()
    layer: str = ""
    path: str = ""
    cataloger: str = ""
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)


class Location(msgspec.Struct, frozen=True, kw_only=True):
    """Where in a source file something was found."""

    path: str
    line: int | None = None
    field: str | None = None


class SourceObject(msgspec.Struct, frozen=True, kw_only=True):
    """A configuration object read from a file or an API, before any interpretation.

    format: k8s | terraform-plan | terraform-state | terraform-hcl | arm | aws-api |
            aws-config | gcp-asset | dockerfile | inventory
    kind: the Kubernetes kind, Terraform resource type, or provider resource type
    """

    format: str
    kind: str
    name: str
    body: Any
    location: Location
    namespace: str | None = None
    address: str | None = None  # Terraform address, provider resource id, ...


class Asset(msgspec.Struct, frozen=True, kw_only=True):
    """Something that exists in the estate: a workload, cluster, registry, identity, ...

    id: stable identifier (ARN, Azure resource id, GCP full resource name,
        k8s:<cluster>/<namespace>/<kind>/<name>)
    kind: workload | cluster | registry | identity | endpoint | image | account | node-pool
    service: the service catalog key (e.g. "azure.functionapp", "aws.ecs-fargate")
    """

    id: str
    kind: str
    name: str
    provider: str  # aws | azure | gcp | kubernetes
    service: str = ""
    account: str | None = None  # AWS account, Azure subscription, GCP project, k8s cluster
    region: str | None = None
    source: str = ""  # file path or "live:<provider>"
    tags: dict[str, str] = msgspec.field(default_factory=dict)
    properties: dict[str, Any] = msgspec.field(default_factory=dict)


class Relation(msgspec.Struct, frozen=True, kw_only=True):
    """A directed edge between two assets (or an asset and an image reference).

    kind: runs-image | instance-of | uses-identity | exposed-by | contains | member-of
    """

    source: str
    kind: str
    target: str
    properties: dict[str, Any] = msgspec.field(default_factory=dict)


class Suppression(msgspec.Struct, frozen=True, kw_only=True):
    """Why a finding is not counted: an ignore entry, a VEX statement, a policy exception."""

    kind: str  # ignore-file | vex | policy-exception | annotation
    reason: str
    source: str = ""
    expires: str | None = None
    owner: str | None = None


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One result of any analysis stage.

    type: vulnerability | misconfiguration | threat | coverage-gap
    rule: the vulnerability id, rule id or check id
    asset: the asset id (or image reference) the finding is about
    details: type-specific fields, documented in docs/json-schema.md
    """

    type: str
    rule: str
    title: str
    severity: Severity
    asset: str
    layer: Layer
    task: Task
    evidence: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()
    location: Location | None = None
    suppressed: Suppression | None = None
    details: dict[str, Any] = msgspec.field(default_factory=dict)
