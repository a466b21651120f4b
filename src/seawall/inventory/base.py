"""The contract every inventory source module follows (after Cartography).

Each source module (kubernetes, terraform, aws, azure, gcp) is split into
get_* (I/O: read a file, call an API), transform_* (pure: raw records in, assets out,
tested with recorded payloads) and load (here: merge into an Inventory). A module exposes:

    sniff(path: Path, head: bytes) -> bool      # is this file in one of my formats?
    load_file(path: Path) -> InventoryPart      # offline input
    collect_live(**options) -> InventoryPart    # live, with the user's credentials

and is listed in `seawall.inventory.sources.SOURCE_MODULES`.
"""

from __future__ import annotations

import msgspec

from seawall.model import Asset, Relation


class ControlState(msgspec.Struct, frozen=True, kw_only=True):
    """Whether a native security control is active on a scope.

    control: catalog control key ("azure.defender-for-containers", "aws.guardduty-eks-runtime",
             "aws.inspector-ecr", "gcp.container-threat-detection", ...)
    scope: the id it applies to: AWS account (+ region), Azure subscription, GCP project,
           or a single asset id
    status: on | off | unknown
    """

    control: str
    scope: str
    status: str
    source: str = ""
    details: dict[str, str] = msgspec.field(default_factory=dict)


class InventoryPart(msgspec.Struct, kw_only=True):
    """What one source contributed: assets, relations, control states, warnings."""

    assets: list[Asset] = msgspec.field(default_factory=list)
    relations: list[Relation] = msgspec.field(default_factory=list)
    controls: list[ControlState] = msgspec.field(default_factory=list)
    warnings: list[str] = msgspec.field(default_factory=list)
    sources: list[str] = msgspec.field(default_factory=list)
