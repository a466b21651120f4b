"""Binary drift: an exec of a file that was not in the container's original image.

The image file lists come from the image catalog stage, kept per image digest, as a
`seawall.image-files/v1` document ({"images": {"sha256:...": ["/usr/bin/x", ...]}}) or a
plain JSON list of paths that applies to every container.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

import msgspec

from seawall.detect.engine import Alert
from seawall.errors import InputError
from seawall.inputs import read_limited

IMAGE_FILES_SCHEMA = "seawall.image-files/v1"
DRIFT_RULE = "Drift Detected (exec of new binary)"
DRIFT_TAGS = ("container", "drift", "process", "mitre_execution", "T1059")
MAX_FILE_LIST = 256 * 1024 * 1024
# merged-/usr layouts: /bin/sh in the image list is /usr/bin/sh at runtime and vice versa
_ALIASES = (("/bin/", "/usr/bin/"), ("/sbin/", "/usr/sbin/"), ("/lib/", "/usr/lib/"))


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def load_image_files(path: Path) -> tuple[dict[str, frozenset[str]], frozenset[str] | None]:
    """(files by image digest, files for any image) from an image-files JSON document."""
    try:
        data = read_limited(path, MAX_FILE_LIST)
        if data is None:
            raise InputError(f"{path}: image file list larger than {MAX_FILE_LIST} bytes")
        doc = msgspec.json.decode(data)
    except OSError as exc:
        raise InputError(f"{path}: cannot read image file list ({exc.strerror})") from None
    except msgspec.DecodeError:
        raise InputError(f"{path}: image file list is not JSON") from None
    except RecursionError:
        raise InputError(f"{path}: image file list is nested too deeply") from None
    if isinstance(doc, list):
        return {}, frozenset(_normal(str(p)) for p in doc)
    if isinstance(doc, dict) and doc.get("schema") == IMAGE_FILES_SCHEMA:
        images = doc.get("images")
        if not isinstance(images, dict):
            raise InputError(f"{path}: 'images' must map digests to file lists")
        return {
            str(digest): frozenset(_normal(str(p)) for p in files)
            for digest, files in images.items()
            if isinstance(files, list)
        }, None
    raise InputError(f"{path}: expected a JSON list of paths or a {IMAGE_FILES_SCHEMA} document")


def image_files(ref: str, *, platform: str | None = None) -> tuple[str, list[str]]:
    """(image digest, sorted paths of every regular file in the final image file system).

    Uses the image stage's readers (seawall.images): each layer is walked once, file bytes
    are not kept, and whiteouts, opaque directories and replacements by later layers apply.
    """
    import stat

    from seawall.images.archive import open_image
    from seawall.images.layer import LayerError, walk_layer
    from seawall.images.reference import parse_reference

    image = parse_reference(ref)
    if image.transport == "dir":
        from seawall.images.scan import collect_files

        seen: set[str] = set()

        def want_dir(path: str, mode: int, size: int) -> bool:
            if stat.S_ISREG(mode):
                seen.add(_normal(path))
            return False

        collect_files(image, want_dir)
        return image.digest or "", sorted(seen)
    source = open_image(image, platform)
    files: set[str] = set()
    for layer in source.layers:
        layer_files: set[str] = set()

        def want(path: str, mode: int, size: int, into: set[str] = layer_files) -> bool:
            if stat.S_ISREG(mode):
                into.add(_normal(path))
            return False

        try:
            with layer.open() as raw:
                walk = walk_layer(raw, layer.size, want, lambda *a: None, shadow=lambda p: True)
        except LayerError as exc:
            raise InputError(f"{source.label}: layer {layer.index}: {exc}") from None
        for directory in walk.opaque:
            prefix = _normal(directory).rstrip("/") + "/"
            files = {f for f in files if not f.startswith(prefix)}
        for gone in [*walk.whiteouts, *walk.replaced]:
            gone = _normal(gone)
            files = {f for f in files if f != gone and not f.startswith(gone + "/")}
        files |= layer_files
    return source.digest, sorted(files)


def _normal(path: str) -> str:
    return posixpath.normpath("/" + path.lstrip("./"))


def _variants(path: str) -> list[str]:
    out = [path]
    for short, long in _ALIASES:
        if path.startswith(short):
            out.append(long + path[len(short) :])
        elif path.startswith(long):
            out.append(short + path[len(long) :])
    return out


class DriftDetector:
    """Raises DRIFT_RULE for execs of binaries absent from the image's file list."""

    def __init__(
        self, by_digest: dict[str, frozenset[str]], any_image: frozenset[str] | None
    ) -> None:
        self.by_digest = by_digest
        self.any_image = any_image

    def check(
        self,
        source: str,
        event: dict[str, Any],
        time: str | None,
        asset: str,
        input: str,
        line: int,
    ) -> list[Alert]:
        exe, digest, container = _exec_of(source, event)
        if exe is None:
            return []
        files = self.by_digest.get(digest or "", self.any_image)
        if files is None or not container:
            return []
        path = _normal(exe)
        if any(v in files for v in _variants(path)):
            return []
        output = (
            f"Executable not in the container's original image was run "
            f"(exe={path} image_digest={digest or '<NA>'} container={container})"
        )
        return [
            Alert(
                rule=DRIFT_RULE,
                priority="ERROR",
                output=output,
                time=time,
                source=source,
                tags=DRIFT_TAGS,
                asset=asset,
                input=input,
                line=line,
                event=event,
            )
        ]


def _exec_of(source: str, event: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    if source == "tetragon":
        body = event.get("process_exec")
        if not isinstance(body, dict):
            return None, None, None
        proc = _obj(body.get("process"))
        image = ((proc.get("pod") or {}).get("container") or {}).get("image") or {}
        image_id = str(image.get("id", "")) if isinstance(image, dict) else ""
        digest = image_id.split("@", 1)[1] if "@" in image_id else None
        container = proc.get("docker") or ((proc.get("pod") or {}).get("container") or {}).get("id")
        binary = proc.get("binary")
        return (str(binary) if binary else None), digest, (str(container) if container else None)
    if source in ("falco", "sysdig"):
        fields = event.get("output_fields")
        fields = fields if isinstance(fields, dict) else event
        if fields.get("evt.type") not in ("execve", "execveat"):
            return None, None, None
        exe = fields.get("proc.exepath") or fields.get("proc.exe")
        cid = fields.get("container.id")
        container = str(cid) if cid and cid != "host" else None
        digest = fields.get("container.image.digest")
        return (str(exe) if exe else None), (str(digest) if digest else None), container
    return None, None, None
