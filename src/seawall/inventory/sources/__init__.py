"""Inventory sources: one module per input kind, each following `seawall.inventory.base`."""

from __future__ import annotations

# Each module exposes sniff(path, head), load_file(path) and collect_live(**options).
SOURCE_MODULES: tuple[str, ...] = (
    "seawall.inventory.sources.kubernetes",
    "seawall.inventory.sources.terraform",
    "seawall.inventory.sources.aws",
    "seawall.inventory.sources.azure",
    "seawall.inventory.sources.gcp",
)
