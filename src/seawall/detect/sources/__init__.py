"""Event sources: each module maps raw events of one kind to Falco field names.

A source module defines `SOURCE: EventSource` and is listed in `SOURCE_MODULES`.
"""

from __future__ import annotations

import importlib

from seawall.detect.sources.base import EventSource

SOURCE_MODULES = {
    "k8saudit": "seawall.detect.sources.k8saudit",
    "tetragon": "seawall.detect.sources.tetragon",
    "falco": "seawall.detect.sources.falco_json",
    "sysdig": "seawall.detect.sources.falco_json",
    "cloudtrail": "seawall.detect.sources.cloudtrail",
    "gcpaudit": "seawall.detect.sources.gcpaudit",
}


def get_source(name: str) -> EventSource:
    """The event source registered under `name` (KeyError if unknown)."""
    module = importlib.import_module(SOURCE_MODULES[name])
    source: EventSource = module.SOURCE
    return source
