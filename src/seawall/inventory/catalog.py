"""The service catalog: which services run containers, who is responsible, what covers them.

Data lives in `services.yaml` beside this module; users extend or override it with
`--catalog FILE` or the SEAWALL_CATALOG environment variable (same format, entries with
the same key replace built-in ones). The YAML is validated against a JSON schema on load;
an error names the file and line.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from seawall.errors import InputError
from seawall.inputs import read_text
from seawall.model import Layer, Party, Task

BUILTIN_CATALOG = Path(__file__).with_name("services.yaml")
CATALOG_ENV = "SEAWALL_CATALOG"
CELLS: tuple[tuple[Layer, Task], ...] = tuple((layer, task) for layer in Layer for task in Task)

_URL = {"type": "string", "pattern": "^https://"}
_PARTY = {"enum": [p.value for p in Party]}
_ROW = {
    "type": "object",
    "properties": {t.value: _PARTY for t in Task},
    "required": [t.value for t in Task],
    "additionalProperties": False,
}
_CELL_KEYS = [f"{layer.value}/{task.value}" for layer, task in CELLS]
_KEY = {"type": "string", "pattern": r"^[a-z0-9]+\.[a-z0-9.-]+$"}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "controls": {
            "type": "object",
            "propertyNames": _KEY,
            "additionalProperties": {
                "type": "object",
                "required": ["name", "provider", "remediation", "source"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "provider": {"enum": ["aws", "azure", "gcp", "kubernetes"]},
                    "scope": {
                        "enum": ["account", "account-region", "subscription", "project", "asset"]
                    },
                    "remediation": {"type": "string", "minLength": 1},
                    "source": _URL,
                    "registries": {
                        "type": "array",
                        "items": {"type": "string", "minLength": 1},
                        "uniqueItems": True,
                    },
                },
            },
        },
        "services": {
            "type": "object",
            "propertyNames": _KEY,
            "additionalProperties": {
                "type": "object",
                "required": [
                    "name",
                    "provider",
                    "identifiers",
                    "image_reference",
                    "runtime_scanning",
                    "responsibility",
                    "controls",
                ],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "provider": {"enum": ["aws", "azure", "gcp", "kubernetes"]},
                    "category": {"type": "string"},
                    "identifiers": {
                        "type": "object",
                        "required": ["api", "terraform", "source"],
                        "properties": {"source": _URL},
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                    "image_reference": {
                        "type": "object",
                        "required": ["field", "source"],
                        "additionalProperties": False,
                        "properties": {"field": {"type": "string"}, "source": _URL},
                    },
                    "runtime_scanning": {
                        "type": "object",
                        "required": ["possible", "source"],
                        "additionalProperties": False,
                        "properties": {
                            "possible": {"type": "boolean"},
                            "how": {"type": "string"},
                            "source": _URL,
                        },
                    },
                    "responsibility": {
                        "type": "object",
                        "required": ["source", *(layer.value for layer in Layer)],
                        "additionalProperties": False,
                        "properties": {
                            "source": _URL,
                            **{layer.value: _ROW for layer in Layer},
                        },
                    },
                    "controls": {
                        "type": "object",
                        "required": ["source"],
                        "additionalProperties": False,
                        "properties": {
                            "source": _URL,
                            **{
                                key: {"type": "array", "items": _KEY, "uniqueItems": True}
                                for key in _CELL_KEYS
                            },
                        },
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Control:
    """A native security control (a Defender plan, a GuardDuty feature, ...)."""

    key: str
    name: str
    provider: str
    remediation: str
    source: str
    scope: str = "account"
    # Registry hosts (fnmatch patterns) whose images this control scans; where a service
    # allows no runtime scanning, its images elsewhere are not covered by it.
    registries: tuple[str, ...] = ()

    def scans_image(self, reference: str) -> bool:
        """Whether an image reference lives in a registry this control scans."""
        if not self.registries:
            return True
        first, _, rest = reference.partition("/")
        host = first.lower() if rest and ("." in first or ":" in first) else "docker.io"
        return any(fnmatch.fnmatchcase(host, pattern) for pattern in self.registries)


@dataclass(frozen=True)
class Service:
    """One catalog entry: a cloud service that runs (or stores) containers."""

    key: str
    name: str
    provider: str
    category: str
    identifiers: dict[str, Any]
    image_reference: dict[str, str]
    runtime_scanning: dict[str, Any]
    responsibility: dict[tuple[Layer, Task], Party]
    responsibility_source: str
    controls: dict[tuple[Layer, Task], tuple[str, ...]]
    controls_source: str

    @property
    def runtime_scanning_possible(self) -> bool:
        return bool(self.runtime_scanning.get("possible"))

    @property
    def runs_containers(self) -> bool:
        return self.category != "registry"


@dataclass
class Catalog:
    """Services and controls by key, plus the files they were read from."""

    services: dict[str, Service] = field(default_factory=dict)
    controls: dict[str, Control] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def service(self, key: str) -> Service | None:
        return self.services.get(key)

    def control(self, key: str) -> Control | None:
        return self.controls.get(key)


def _node_line(root: yaml.Node, path: Iterable[Any]) -> int:
    """The 1-based line of the YAML node at a JSON-schema error path (best effort)."""
    node = root
    for step in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == step:
                    node = value_node
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step < len(node.value):
                node = node.value[step]
            else:
                break
        else:
            break
    return int(node.start_mark.line) + 1


def _parse_builtin(text: str) -> dict[str, Any]:
    """The built-in catalog: shipped with seawall and checked against SCHEMA by the tests,
    so it is read with libyaml and not validated again on every run (jsonschema's import
    and the pure-Python parse were most of `seawall coverage`'s start-up)."""
    loader_class: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text, Loader=loader_class)
    if not isinstance(data, dict):
        raise InputError(f"{BUILTIN_CATALOG}: built-in catalog is not a mapping")
    return data


def parse_catalog_text(text: str, where: str) -> dict[str, Any]:
    """Parse and validate catalog YAML; InputError `file:line: problem` when invalid."""
    import jsonschema

    from seawall.inputs import load_yaml

    try:
        # bounded first (nesting, alias expansion, unreadable scalars), then the node tree
        # for line numbers: a deep or aliased catalog was a RecursionError/ValueError traceback
        data = load_yaml(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        reason = str(getattr(exc, "problem", None) or exc).splitlines()[0]  # one line
        raise InputError(f"{where}{line}: invalid YAML ({reason})") from None
    if root is None or not isinstance(data, dict):
        raise InputError(
            f"{where}:1: a catalog is a mapping with `version`, `services`, `controls`"
        )
    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        error = errors[0]
        path = list(error.absolute_path)
        lineno = _node_line(root, path)
        dotted = ".".join(str(p) for p in path) or "(top level)"
        raise InputError(f"{where}:{lineno}: {dotted}: {error.message}")
    return data


def _cell_key(layer: Layer, task: Task) -> str:
    return f"{layer.value}/{task.value}"


def _build(data: dict[str, Any], catalog: Catalog, where: str) -> None:
    for key, raw in (data.get("controls") or {}).items():
        catalog.controls[key] = Control(
            key=key,
            name=raw["name"],
            provider=raw["provider"],
            remediation=raw["remediation"],
            source=raw["source"],
            scope=raw.get("scope", "account"),
            registries=tuple(raw.get("registries") or ()),
        )
    for key, raw in (data.get("services") or {}).items():
        resp = raw["responsibility"]
        controls = raw["controls"]
        catalog.services[key] = Service(
            key=key,
            name=raw["name"],
            provider=raw["provider"],
            category=raw.get("category", ""),
            identifiers=dict(raw["identifiers"]),
            image_reference=dict(raw["image_reference"]),
            runtime_scanning=dict(raw["runtime_scanning"]),
            responsibility={
                (layer, task): Party(resp[layer.value][task.value]) for layer, task in CELLS
            },
            responsibility_source=resp["source"],
            controls={
                (layer, task): tuple(controls.get(_cell_key(layer, task), []))
                for layer, task in CELLS
            },
            controls_source=controls["source"],
        )
    catalog.files.append(where)


def _check_references(catalog: Catalog) -> None:
    for service in catalog.services.values():
        for cell, keys in service.controls.items():
            for key in keys:
                if key not in catalog.controls:
                    raise InputError(
                        f"catalog service {service.key}: {_cell_key(*cell)} names unknown "
                        f"control {key!r} (files: {', '.join(catalog.files)})"
                    )


@lru_cache(maxsize=8)
def _load_cached(extra: tuple[str, ...]) -> Catalog:
    catalog = Catalog()
    _build(_parse_builtin(read_text(BUILTIN_CATALOG)), catalog, "")
    catalog.files[-1] = str(BUILTIN_CATALOG)
    for name in extra:
        path = Path(name)
        _build(parse_catalog_text(read_text(path), name), catalog, name)
    _check_references(catalog)
    return catalog


def load_catalog(extra: Sequence[Path] = ()) -> Catalog:
    """The built-in catalog, extended by `extra` files and the SEAWALL_CATALOG file."""
    files = [str(p) for p in extra]
    env = os.environ.get(CATALOG_ENV)
    if env:
        files.insert(0, env)
    return _load_cached(tuple(files))
