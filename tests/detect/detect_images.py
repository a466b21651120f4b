"""A minimal `docker save` archive, for the drift file-list tests."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name.lstrip("/"))
            info.size = len(data)
            info.mode = 0o755
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def docker_archive(path: Path, layers: list[dict[str, bytes]]) -> str:
    """Write the archive; return its image ID (sha256 of the config)."""
    raws = [_tar(files) for files in layers]
    diff_ids = ["sha256:" + hashlib.sha256(raw).hexdigest() for raw in raws]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
    ).encode()
    config_id = hashlib.sha256(config).hexdigest()
    names = []
    with tarfile.open(path, "w") as tar:
        for raw in raws:
            name = f"{hashlib.sha256(raw).hexdigest()}/layer.tar"
            _add(tar, name, raw)
            names.append(name)
        _add(tar, f"{config_id}.json", config)
        manifest = [{"Config": f"{config_id}.json", "RepoTags": ["t/app:1"], "Layers": names}]
        _add(tar, "manifest.json", json.dumps(manifest).encode())
    return f"sha256:{config_id}"
