"""Real-content fixtures: the debootstrap rootfs and the real wheel / npm tarball that
scripts/setup.d/20-debian-rootfs.sh caches under ~/.cache/seawall-test/."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

CACHE = Path(os.environ.get("SEAWALL_TEST_CACHE", Path.home() / ".cache" / "seawall-test"))
ROOTFS = CACHE / "bookworm-minbase"
APP = CACHE / "images-app"


def require_fixtures() -> None:
    if not (ROOTFS / ".done").exists() or not list(APP.glob("six-1.16.0-*.whl")):
        raise RuntimeError(
            f"real-content fixtures missing under {CACHE}: run scripts/setup.d/20-debian-rootfs.sh"
        )


def rootfs_layer(path: Path) -> Path:
    """An uncompressed layer tar of the whole debootstrap rootfs."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for entry in sorted(ROOTFS.iterdir()):
            if entry.name == ".done":
                continue
            tar.add(entry, arcname=entry.name, recursive=True)
    return path


def app_layer_files() -> dict[str, bytes]:
    """Files of a second layer: the real six wheel installed under dist-packages and the
    real lodash tarball under /app/node_modules, as pip and npm lay them out."""
    files: dict[str, bytes] = {}
    wheel = next(APP.glob("six-1.16.0-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            files[f"usr/lib/python3/dist-packages/{name}"] = zf.read(name)
    with tarfile.open(APP / "lodash-4.17.20.tgz", "r:gz") as tgz:
        for member in tgz.getmembers():
            if not member.isfile():
                continue
            handle = tgz.extractfile(member)
            assert handle is not None
            rel = member.name.split("/", 1)[1]
            files[f"app/node_modules/lodash/{rel}"] = handle.read()
    files["app/package.json"] = b'{"name": "app", "version": "1.0.0"}'
    return files


def layer_from_files(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
