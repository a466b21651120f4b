"""Reading image archives and layouts without a container engine.

`open_image` turns an ImageRef into an `ImageSource`: the image's config and its layer
blobs (opened lazily, streamed). Layouts are read through a small `Store` interface so the
same OCI-layout code reads a directory and a tar (`oci-archive`).
"""

from __future__ import annotations

import json
import os
import platform as _platform
import posixpath
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from seawall.errors import InputError
from seawall.model import ImageRef

MiB = 1024 * 1024
MAX_JSON = 16 * MiB  # manifests, configs and indexes are small; refuse anything huge
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

MEDIA_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
_INDEX_TYPES = (MEDIA_OCI_INDEX, MEDIA_DOCKER_LIST)


def _json(raw: bytes) -> Any:
    """json.loads, with too-deep nesting (a recursion bomb) as the ValueError it is."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("nested too deeply") from None


class _Bounded:
    """A read-only window [offset, offset+size) of a file."""

    def __init__(self, handle: IO[bytes], offset: int, size: int) -> None:
        self._handle = handle
        self._left = size
        handle.seek(offset)

    def read(self, n: int = -1) -> bytes:
        if n < 0 or n > self._left:
            n = self._left
        data = self._handle.read(n)
        self._left -= len(data)
        return data

    def readinto(self, buf: Any) -> int:
        view = memoryview(buf)
        if len(view) > self._left:
            view = view[: self._left]
        n = self._handle.readinto(view)  # type: ignore[attr-defined]
        self._left -= n
        return int(n)

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> _Bounded:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Store:
    """Named blobs inside an archive or a directory."""

    label: str

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    def size(self, name: str) -> int:
        raise NotImplementedError

    def open(self, name: str) -> Any:
        """A binary stream with read/readinto/close."""
        raise NotImplementedError

    def read(self, name: str, limit: int = MAX_JSON) -> bytes:
        if not self.exists(name):
            raise InputError(f"{self.label}: missing {name}")
        if self.size(name) > limit:
            raise InputError(f"{self.label}: {name} is larger than {limit} bytes")
        with self.open(name) as handle:
            data: bytes = handle.read()
            return data

    def read_json(self, name: str) -> Any:
        try:
            return _json(self.read(name))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{self.label}: {name} is not valid JSON ({exc})") from None


class DirStore(Store):
    """Files under a directory; names are normalised and never leave it (no symlinks)."""

    def __init__(self, root: str, label: str) -> None:
        self.root = os.path.realpath(root)
        self.label = label

    def _path(self, name: str) -> str | None:
        rel = posixpath.normpath("/" + name).lstrip("/")
        path = os.path.join(self.root, rel)
        real = os.path.realpath(path)
        if real != self.root and not real.startswith(self.root + os.sep):
            return None  # a symlink pointing out of the layout
        return path

    def exists(self, name: str) -> bool:
        path = self._path(name)
        return path is not None and os.path.isfile(path)

    def size(self, name: str) -> int:
        path = self._path(name)
        assert path is not None
        return os.path.getsize(path)

    def open(self, name: str) -> Any:
        path = self._path(name)
        if path is None or not os.path.isfile(path):
            raise InputError(f"{self.label}: missing {name}")
        return open(path, "rb")


class TarStore(Store):
    """Members of a tar file (docker save output, oci-archive), indexed once."""

    def __init__(self, path: str, label: str) -> None:
        self.path = path
        self.label = label
        self._members: dict[str, tarfile.TarInfo] = {}
        try:
            with tarfile.open(path, "r:") as tar:
                for info in tar:
                    self._members[posixpath.normpath("/" + info.name).lstrip("/")] = info
        except (tarfile.TarError, EOFError) as exc:
            raise InputError(f"{label}: not a readable tar archive ({exc})") from None
        except OSError as exc:
            raise InputError(f"{label}: cannot read ({exc.strerror or exc})") from None

    def _resolve(self, name: str) -> tarfile.TarInfo | None:
        key = posixpath.normpath("/" + name).lstrip("/")
        for _ in range(16):  # docker save links duplicate layers; follow links inside only
            info = self._members.get(key)
            if info is None:
                return None
            if info.isreg():
                return info
            if info.issym():
                key = posixpath.normpath(
                    "/" + posixpath.join(posixpath.dirname(key), info.linkname)
                ).lstrip("/")
            elif info.islnk():
                key = posixpath.normpath("/" + info.linkname).lstrip("/")
            else:
                return None
        return None

    def exists(self, name: str) -> bool:
        return self._resolve(name) is not None

    def size(self, name: str) -> int:
        info = self._resolve(name)
        assert info is not None
        return info.size

    def open(self, name: str) -> Any:
        info = self._resolve(name)
        if info is None:
            raise InputError(f"{self.label}: missing {name}")
        return _Bounded(open(self.path, "rb"), info.offset_data, info.size)


@dataclass(frozen=True)
class LayerBlob:
    """One layer of an image: where its bytes are and what they must hash to."""

    index: int
    diff_id: str  # sha256 of the uncompressed tar (from the image config)
    digest: str  # the blob's own digest (compressed form); == diff_id for plain tars
    name: str  # member/file name, for messages
    size: int
    media_type: str
    store: Store
    # True when `digest` can be checked by hashing the stored bytes.
    verifiable: bool = True

    def open(self) -> Any:
        return self.store.open(self.name)


@dataclass
class ImageSource:
    ref: ImageRef
    label: str
    digest: str  # manifest digest (OCI) or image ID (config digest, docker-archive)
    config: dict[str, Any]
    layers: list[LayerBlob] = field(default_factory=list)
    platform: str = ""


def _sha256_hex(digest: str, label: str, what: str) -> str:
    algo, _, hexpart = digest.partition(":")
    if algo != "sha256" or not _HEX64.match(hexpart):
        raise InputError(f"{label}: {what} has an unsupported or malformed digest {digest!r}")
    return hexpart


def _check_digest(data: bytes, digest: str, label: str, what: str) -> None:
    import hashlib

    hexpart = _sha256_hex(digest, label, what)
    if hashlib.sha256(data).hexdigest() != hexpart:
        raise InputError(f"{label}: {what} does not match its digest {digest}")


def _diff_ids(config: dict[str, Any], label: str) -> list[str]:
    rootfs = config.get("rootfs")
    ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InputError(f"{label}: image config has no rootfs.diff_ids")
    return list(ids)


def host_platform() -> str:
    machine = _platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(machine, machine)
    return f"linux/{arch}"


def _platform_text(p: Any) -> str:
    if not isinstance(p, dict):
        return ""
    text = f"{p.get('os', '')}/{p.get('architecture', '')}"
    if p.get("variant"):
        text += f"/{p['variant']}"
    return text


def _platform_matches(want: str, have: str) -> bool:
    return have == want or (want.count("/") == 1 and have.rsplit("/", 1)[0] == want)


def _find_digest(
    store: Store, descs: list[dict[str, Any]], digest: str, label: str, depth: int
) -> dict[str, Any] | None:
    """The descriptor with `digest` in an index or, depth first, in its nested indexes."""
    for desc in descs:
        if desc.get("digest") == digest:
            return desc
    if depth >= 4:
        return None
    for desc in descs:
        if desc.get("mediaType") not in _INDEX_TYPES or not isinstance(desc.get("digest"), str):
            continue
        name = f"blobs/sha256/{_sha256_hex(desc['digest'], label, 'index')}"
        raw = store.read(name)
        _check_digest(raw, desc["digest"], label, f"index {desc['digest']}")
        try:
            nested = _json(raw)
        except ValueError:
            raise InputError(f"{label}: index {desc['digest']} is not valid JSON") from None
        inner = nested.get("manifests") if isinstance(nested, dict) else None
        if isinstance(inner, list):
            hit = _find_digest(
                store, [m for m in inner if isinstance(m, dict)], digest, label, depth + 1
            )
            if hit is not None:
                return hit
    return None


def _ref_name(desc: dict[str, Any]) -> object:
    """The org.opencontainers.image.ref.name annotation of a descriptor (None if absent)."""
    annotations = desc.get("annotations")
    if not isinstance(annotations, dict):
        return None
    return annotations.get("org.opencontainers.image.ref.name")


def _pick_manifest(
    store: Store, index: dict[str, Any], ref: ImageRef, platform: str | None, label: str, depth: int
) -> tuple[dict[str, Any], str]:
    """Follow an index down to one image manifest; returns (descriptor, platform)."""
    if depth > 4:
        raise InputError(f"{label}: indexes nested too deeply")
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(manifests, list):
        manifests = []
    candidates = [m for m in manifests if isinstance(m, dict)]
    if not candidates:
        raise InputError(f"{label}: index lists no manifests")
    if ref.digest and depth == 0:
        found = _find_digest(store, candidates, ref.digest, label, depth)
        if found is None:
            raise InputError(f"{label}: no manifest or index with digest {ref.digest}")
        candidates = [found]
    if ref.tag and depth == 0:
        named = [m for m in candidates if _ref_name(m) == ref.tag]
        if not named:
            raise InputError(f"{label}: no manifest tagged {ref.tag!r}")
        candidates = named
    if platform:
        chosen = [
            m for m in candidates if _platform_matches(platform, _platform_text(m.get("platform")))
        ]
        with_platform = [m for m in candidates if m.get("platform")]
        if not chosen and with_platform:
            have = ", ".join(sorted({_platform_text(m.get("platform")) for m in with_platform}))
            raise InputError(f"{label}: no manifest for platform {platform} (has: {have})")
        candidates = chosen or candidates
    elif len(candidates) > 1:
        host = host_platform()
        chosen = [
            m for m in candidates if _platform_matches(host, _platform_text(m.get("platform")))
        ]
        if len(chosen) >= 1:
            candidates = chosen[:1]
        else:
            have = ", ".join(sorted({_platform_text(m.get("platform")) for m in candidates}))
            raise InputError(
                f"{label}: several manifests ({have}); choose one with --platform or a tag"
            )
    desc = candidates[0]
    digest = desc.get("digest")
    if not isinstance(digest, str):
        raise InputError(f"{label}: manifest descriptor without digest")
    if desc.get("mediaType") in _INDEX_TYPES:
        hexpart = _sha256_hex(digest, label, "index")
        raw = store.read(f"blobs/sha256/{hexpart}")
        _check_digest(raw, digest, label, f"index {digest}")
        try:
            nested = _json(raw)
        except ValueError:
            raise InputError(f"{label}: index {digest} is not valid JSON") from None
        sub = ImageRef(transport=ref.transport, location=ref.location)
        return _pick_manifest(store, nested, sub, platform, label, depth + 1)
    return desc, _platform_text(desc.get("platform"))


def _open_oci(store: Store, ref: ImageRef, platform: str | None, label: str) -> ImageSource:
    if not store.exists("index.json"):
        raise InputError(f"{label}: not an OCI layout (no index.json)")
    index = store.read_json("index.json")
    if not isinstance(index, dict):
        raise InputError(f"{label}: index.json is not an object")
    desc, plat = _pick_manifest(store, index, ref, platform, label, 0)
    digest = str(desc["digest"])
    hexpart = _sha256_hex(digest, label, "manifest")
    raw = store.read(f"blobs/sha256/{hexpart}")
    _check_digest(raw, digest, label, f"manifest {digest}")
    try:
        manifest = _json(raw)
    except ValueError:
        raise InputError(f"{label}: manifest {digest} is not valid JSON") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("config"), dict):
        raise InputError(f"{label}: manifest {digest} has no config")
    cdigest = str(manifest["config"].get("digest", ""))
    chex = _sha256_hex(cdigest, label, "config")
    craw = store.read(f"blobs/sha256/{chex}")
    _check_digest(craw, cdigest, label, f"config {cdigest}")
    try:
        config = _json(craw)
    except ValueError:
        raise InputError(f"{label}: config {cdigest} is not valid JSON") from None
    if not isinstance(config, dict):
        raise InputError(f"{label}: config {cdigest} is not an object")
    if not plat and config.get("os"):
        plat = f"{config.get('os')}/{config.get('architecture', '')}"
        if config.get("variant"):
            plat += f"/{config['variant']}"
    diff_ids = _diff_ids(config, label)
    descs = manifest.get("layers")
    if not isinstance(descs, list):
        raise InputError(f"{label}: manifest {digest} has no layers")
    if len(descs) != len(diff_ids):
        raise InputError(
            f"{label}: manifest lists {len(descs)} layers but config has {len(diff_ids)} diff IDs"
        )
    layers = []
    for i, (ld, diff_id) in enumerate(zip(descs, diff_ids, strict=True)):
        if not isinstance(ld, dict):
            raise InputError(f"{label}: layer {i} descriptor is not an object")
        ldigest = str(ld.get("digest", ""))
        lhex = _sha256_hex(ldigest, label, f"layer {i}")
        name = f"blobs/sha256/{lhex}"
        if not store.exists(name):
            raise InputError(f"{label}: layer {ldigest} is missing ({name})")
        declared = ld.get("size")
        if isinstance(declared, int) and declared != store.size(name):
            raise InputError(
                f"{label}: layer {i} ({diff_id}): {name} is {store.size(name)} bytes but the "
                f"manifest says {declared} (truncated or replaced?)"
            )
        layers.append(
            LayerBlob(
                index=i,
                diff_id=diff_id,
                digest=ldigest,
                name=name,
                size=store.size(name),
                media_type=str(ld.get("mediaType", "")),
                store=store,
            )
        )
    return ImageSource(ref, label, digest, config, layers, plat)


def _repo_tags(item: object) -> list[str]:
    """The RepoTags of a manifest.json entry (anything but a list of strings: none)."""
    tags = item.get("RepoTags") if isinstance(item, dict) else None
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _open_docker_archive(ref: ImageRef, label: str) -> ImageSource:
    import hashlib

    store = TarStore(ref.location, label)
    if not store.exists("manifest.json"):
        raise InputError(f"{label}: not a docker archive (no manifest.json)")
    manifest = store.read_json("manifest.json")
    if not isinstance(manifest, list) or not manifest or not isinstance(manifest[0], dict):
        raise InputError(f"{label}: manifest.json lists no images")
    entry = manifest[0]
    tags = [t for item in manifest for t in _repo_tags(item)]
    if ref.tag:
        for item in manifest:
            if isinstance(item, dict) and any(
                t.endswith(":" + ref.tag) or t == ref.tag for t in _repo_tags(item)
            ):
                entry = item
                break
        else:
            have = ", ".join(tags) or "none"
            raise InputError(f"{label}: no image tagged {ref.tag!r} (tags: {have})")
    elif len(manifest) > 1:
        raise InputError(
            f"{label}: {len(manifest)} images in the archive; name one as "
            f"docker-archive:FILE:TAG (tags: {', '.join(tags) or 'none'})"
        )
    cname = entry.get("Config")
    if not isinstance(cname, str):
        raise InputError(f"{label}: manifest.json entry has no Config")
    craw = store.read(cname)
    try:
        config = _json(craw)
    except ValueError:
        raise InputError(f"{label}: config {cname} is not valid JSON") from None
    if not isinstance(config, dict):
        raise InputError(f"{label}: config {cname} is not an object")
    image_id = "sha256:" + hashlib.sha256(craw).hexdigest()
    stem = posixpath.basename(cname).removesuffix(".json")
    if _HEX64.match(stem) and f"sha256:{stem}" != image_id:
        raise InputError(f"{label}: config {cname} does not match its digest")
    diff_ids = _diff_ids(config, label)
    names = entry.get("Layers")
    if not isinstance(names, list) or len(names) != len(diff_ids):
        raise InputError(f"{label}: manifest.json Layers do not match the config's diff IDs")
    layers = []
    for i, (name, diff_id) in enumerate(zip(names, diff_ids, strict=True)):
        if not isinstance(name, str) or not store.exists(name):
            raise InputError(f"{label}: layer {i} file {name!r} is missing from the archive")
        norm = posixpath.normpath("/" + name).lstrip("/")
        parts = norm.split("/")
        if len(parts) == 3 and parts[:2] == ["blobs", "sha256"] and _HEX64.match(parts[2]):
            digest = f"sha256:{parts[2]}"  # docker >= 25: OCI blobs, digest in the name
        else:
            digest = diff_id  # legacy <id>/layer.tar: an uncompressed tar, hashes to the diff ID
        layers.append(
            LayerBlob(
                index=i,
                diff_id=diff_id,
                digest=digest,
                name=name,
                size=store.size(name),
                media_type="",
                store=store,
            )
        )
    plat = f"{config.get('os', '')}/{config.get('architecture', '')}".strip("/")
    return ImageSource(ref, label, image_id, config, layers, plat)


def open_image(ref: ImageRef, platform: str | None = None) -> ImageSource:
    """Open an image for reading: its config and layer blobs (not yet read).

    Raises InputError naming the image for a missing file, a malformed archive or a
    manifest/config that does not match its digest.
    """
    label = str(ref)
    source = _open_source(ref, platform, label)
    want = platform or ref.platform
    have = source.platform
    # A single-platform image read with --platform must be that platform, not silently
    # another one (linux/arm64 matches linux/arm64/v8 and the other way round).
    known = have.count("/") >= 1 and all(have.split("/"))  # config names os and architecture
    if want and known and not (_platform_matches(want, have) or _platform_matches(have, want)):
        raise InputError(f"{label}: the image is {have}, not {want}")
    return source


def _open_source(ref: ImageRef, platform: str | None, label: str) -> ImageSource:
    if ref.transport == "dir":
        raise InputError(f"{label}: a dir: source has no layers")
    if not os.path.exists(ref.location):
        raise InputError(f"{label}: no such file or directory: {ref.location}")
    if ref.transport == "docker-archive":
        if not os.path.isfile(ref.location):
            raise InputError(f"{label}: not a file")
        return _open_docker_archive(ref, label)
    if ref.transport == "oci-layout":
        if not os.path.isdir(ref.location):
            raise InputError(f"{label}: not a directory")
        return _open_oci(DirStore(ref.location, label), ref, platform or ref.platform, label)
    if ref.transport == "oci-archive":
        if not os.path.isfile(ref.location):
            raise InputError(f"{label}: not a file")
        return _open_oci(TarStore(ref.location, label), ref, platform or ref.platform, label)
    raise InputError(f"{label}: unknown transport {ref.transport!r}")


OpenFn = Callable[[], Any]
