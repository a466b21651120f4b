"""Walking a normalised pod ({"metadata": ..., "spec": ...}) the way PSA does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def spec_of(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def metadata_of(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def annotations_of(obj: dict[str, Any]) -> dict[str, Any]:
    ann = metadata_of(obj).get("annotations")
    return ann if isinstance(ann, dict) else {}


def containers(obj: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(field path, container) for init, regular and ephemeral containers, in PSA order.

    Memoised in the pod dict itself under a key no manifest can hold, since every
    container rule walks the same list.
    """
    cached = obj.get(_CONTAINERS_KEY)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    found = list(_walk_containers(obj))
    obj[_CONTAINERS_KEY] = found
    return found


_CONTAINERS_KEY = "\x00containers"


def _walk_containers(obj: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    spec = spec_of(obj)
    for key in CONTAINER_LISTS:
        items = spec.get(key)
        if not isinstance(items, list):
            continue
        for index, container in enumerate(items):
            if isinstance(container, dict):
                yield f"spec.{key}[{index}]", container


def sub(value: Any, *keys: str) -> Any:
    """value[k1][k2]... or None when any level is missing or not a mapping."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def pod_sc(obj: dict[str, Any]) -> dict[str, Any]:
    sc = spec_of(obj).get("securityContext")
    return sc if isinstance(sc, dict) else {}


def container_sc(container: dict[str, Any]) -> dict[str, Any]:
    sc = container.get("securityContext")
    return sc if isinstance(sc, dict) else {}


def name_of(container: dict[str, Any]) -> str:
    return str(container.get("name", "?"))


def is_windows(obj: dict[str, Any]) -> bool:
    return bool(sub(spec_of(obj), "os", "name") == "windows")


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")
