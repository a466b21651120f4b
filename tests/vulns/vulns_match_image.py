"""Images for the `seawall image` tests, built by code from real packages.

The wheels and npm tarball are real releases downloaded by scripts/setup.d/40-vulns-match.sh;
the jar is Debian's real log4j-core (liblog4j2-java); the dpkg database is the real format.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

CACHE = Path(os.environ.get("SEAWALL_TEST_CACHE", Path.home() / ".cache" / "seawall-test"))
ARTEFACTS = CACHE / "vulns-match"
LOG4J_CORE = Path("/usr/share/java/log4j-core-2.19.0.jar")
SITE = "usr/local/lib/python3.11/site-packages"

OS_RELEASE = b"""PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
"""


def dpkg_record(name: str, version: str, source: str | None = None) -> str:
    text = (
        f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {version}\n"
    )
    if source:
        text += f"Source: {source}\n"
    return text + "Description: package\n more text\n"


def _wheel_files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return {f"{SITE}/{n}": zf.read(n) for n in zf.namelist() if not n.endswith("/")}


def _npm_files(tarball: Path, where: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith("package/"):
                handle = tar.extractfile(member)
                assert handle is not None
                out[f"{where}/{member.name[len('package/') :]}"] = handle.read()
    return out


def _shaded_jar() -> bytes:
    """An application uber-jar as maven-shade-plugin lays it out, with log4j-core 2.14.1
    shaded in: the shaded dependency's Maven metadata (pom.properties, Maven's format) is
    what identifies it. Built by code: no real 2.14.1 jar is reachable from here."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dst:
        dst.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: shop.Main\n")
        dst.writestr("shop/Main.class", b"\xca\xfe\xba\xbe")
        dst.writestr(
            "META-INF/maven/shop/shop/pom.properties",
            "#Created by Apache Maven 3.8.1\nversion=1.0.0\ngroupId=shop\nartifactId=shop\n",
        )
        dst.writestr(
            "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
            "#Created by Apache Maven 3.6.3\nversion=2.14.1\n"
            "groupId=org.apache.logging.log4j\nartifactId=log4j-core\n",
        )
    return buffer.getvalue()


def layer_tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(files[name]))
    return buffer.getvalue()


def docker_archive(path: Path, layers: list[bytes], tag: str = "shop/app:1.0") -> Path:
    diff_ids = ["sha256:" + hashlib.sha256(raw).hexdigest() for raw in layers]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    with tarfile.open(path, "w") as tar:
        names = []
        for raw in layers:
            name = f"{hashlib.sha256(raw).hexdigest()}/layer.tar"
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
            names.append(name)
        for name, data in (
            (config_name, config),
            (
                "manifest.json",
                json.dumps([{"Config": config_name, "RepoTags": [tag], "Layers": names}]).encode(),
            ),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def app_image(path: Path) -> Path:
    """Two layers: a Debian base (dpkg status, os-release), then the application."""
    base = {
        "etc/os-release": OS_RELEASE,
        "var/lib/dpkg/status": "\n".join(
            [
                dpkg_record("libsope1", "5.8.0-1+deb12u1", "sope"),  # backported fix
                dpkg_record("chromium", "97.0.4692.99-1"),  # before 98.0.4758.80-1
                dpkg_record("base-files", "12.4+deb12u5"),
            ]
        ).encode(),
    }
    app: dict[str, bytes] = {}
    app.update(_wheel_files(next((ARTEFACTS / "wheels").glob("requests-2.19.1-*.whl"))))
    app.update(_wheel_files(next((ARTEFACTS / "wheels").glob("urllib3-1.24.1-*.whl"))))
    app.update(_npm_files(ARTEFACTS / "npm" / "lodash-4.17.20.tgz", "app/node_modules/lodash"))
    app["app/shop.jar"] = _shaded_jar()
    # Debian's real log4j-core 2.19.0, past every log4j fix
    app["app/lib/log4j-core-2.19.0.jar"] = LOG4J_CORE.read_bytes()
    return docker_archive(path, [layer_tar(base), layer_tar(app)])
