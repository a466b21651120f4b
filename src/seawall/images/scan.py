"""Cataloguing an image: every layer streamed once, files handed to the catalogers.

Per layer the result (packages per file, whiteouts) is cached by layer digest and the
catalogers' name@version keys; the final file-system view is then assembled across the
layers, applying whiteouts and opaque directories, and each package is attributed to the
layer that introduced it.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import msgspec
from packageurl import PackageURL

from seawall.errors import InputError
from seawall.images.archive import ImageSource, LayerBlob, open_image
from seawall.images.layer import LayerError, LayerWalk, walk_layer
from seawall.images.reference import parse_reference
from seawall.model import ImageRef, Package
from seawall.packages.catalogers import all_catalogers
from seawall.packages.catalogers.base import Cataloger, CatalogResult, FileEntry, OSRelease

WALKER_VERSION = 6  # bump when the walk or the cached layout changes
MAX_COLLECT_FILE = 256 * 1024 * 1024
SHADOW_SIZE = 1024 * 1024
OS_PACKAGE_TYPES = ("deb", "apk", "rpm")
# purl namespaces where the vendor's usual name differs from the os-release ID
PURL_NAMESPACE = {"rhel": "redhat"}


class ImageCatalog(msgspec.Struct, kw_only=True):
    """Everything catalogued in one image."""

    ref: ImageRef
    digest: str
    os: OSRelease | None
    packages: list[Package]
    layers: list[str]
    warnings: list[str]
    platform: str = ""


class FileResult(msgspec.Struct):
    cataloger: str
    packages: list[Package]
    os: OSRelease | None = None
    warnings: list[str] = []


class LayerResult(msgspec.Struct):
    files: dict[str, list[FileResult]]
    whiteouts: list[str]
    opaque: list[str]
    warnings: list[str] = []
    # paths where this layer put something no cataloger reads (a symlink, a directory, an
    # oversized file): lower layers' files there are gone
    replaced: list[str] = []
    # sha256 of the stored blob bytes this result was made from; a cache hit is only used
    # when the blob on disk still hashes to it (a corrupted or truncated copy is an error)
    stored_sha256: str = ""


_ENC = msgspec.msgpack.Encoder()
_DEC = msgspec.msgpack.Decoder(LayerResult)


def cache_dir() -> Path:
    """SEAWALL_CACHE_DIR, else the platform's user cache directory for seawall."""
    env = os.environ.get("SEAWALL_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("seawall"))


def _cache_path(layer_digest: str, catalogers: list[Cataloger]) -> Path:
    keys = ",".join(sorted(c.key for c in catalogers))
    name = hashlib.sha256(f"{WALKER_VERSION}|{layer_digest}|{keys}".encode()).hexdigest()
    return cache_dir() / "layers" / name[:2] / f"{name}.msgpack"


def _cache_load(path: Path) -> LayerResult | None:
    try:
        return _DEC.decode(path.read_bytes())
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None


def _cache_store(path: Path, result: LayerResult) -> None:
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".layer.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_ENC.encode(result))
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


class _Dispatch:
    """Decides per file which catalogers want it and runs them."""

    def __init__(self, catalogers: list[Cataloger], label: str) -> None:
        self.catalogers = catalogers
        self.label = label
        self.files: dict[str, list[FileResult]] = {}
        self.warnings: list[str] = []
        self.replaced: list[str] = []

    def shadow(self, path: str) -> bool:
        """Could a cataloger have read a regular file at `path` in a lower layer?

        Asked for entries that are not handed on (symlinks, directories, unwanted
        executables): they replace whatever file lower layers had there. A plausible
        executable of a plausible size stands for the lower file (so a jar or Go binary
        replaced by a symlink or a small wrapper script is gone)."""
        mode = stat.S_IFREG | 0o755
        return any(cat.wants(path, mode, SHADOW_SIZE) for cat in self.catalogers)

    def want(self, path: str, mode: int, size: int) -> list[Cataloger] | None:
        chosen: list[Cataloger] | None = None
        for cat in self.catalogers:
            if cat.wants(path, mode, size):
                if size > cat.max_size:
                    self.warnings.append(
                        f"{self.label}: {path} skipped by {cat.name}: {size} bytes is over "
                        f"its {cat.max_size}-byte limit"
                    )
                    self.replaced.append(path)
                    continue
                if chosen is None:
                    chosen = [cat]
                else:
                    chosen.append(cat)
        return chosen

    def handle(self, path: str, mode: int, size: int, data: bytes, cats: list[Cataloger]) -> None:
        entry = FileEntry(path=path, size=size, mode=mode, data=data)
        results: list[FileResult] = []
        for cat in cats:
            try:
                res: CatalogResult = cat.catalog(entry)
            except Exception as exc:  # a cataloger must never sink the image
                res = CatalogResult(warnings=[f"{path}: {cat.name} failed: {exc}"])
            results.append(
                FileResult(
                    cataloger=cat.key,
                    packages=[msgspec.structs.replace(p, cataloger=cat.key) for p in res.packages]
                    if any(not p.cataloger for p in res.packages)
                    else list(res.packages),
                    os=res.os,
                    warnings=list(res.warnings),
                )
            )
        self.files[path] = results


def _scan_layer(
    source: ImageSource,
    layer: LayerBlob,
    catalogers: list[Cataloger],
    use_cache: bool,
    on_bytes: Callable[[int], None] | None = None,
) -> LayerResult:
    cpath = _cache_path(layer.digest, catalogers)
    what = f"{source.label}: layer {layer.index} ({layer.diff_id})"
    if use_cache:
        cached = _cache_load(cpath)
        if cached is not None and cached.stored_sha256:
            if _stored_sha256(layer, what, on_bytes) != cached.stored_sha256:
                raise InputError(f"{what}: {layer.name} does not match its digest {layer.digest}")
            return cached
    dispatch = _Dispatch(catalogers, what)
    try:
        with layer.open() as raw:
            walk: LayerWalk = walk_layer(
                raw,
                layer.size,
                dispatch.want,
                dispatch.handle,
                on_bytes=on_bytes,
                shadow=dispatch.shadow,
            )
    except LayerError as exc:
        raise InputError(f"{what}: {exc}") from None
    except OSError as exc:
        raise InputError(f"{what}: cannot read {layer.name} ({exc})") from None
    for path, target in walk.links:  # hard links to files whose bytes were not kept
        if target in dispatch.files:
            dispatch.files[path] = [
                FileResult(
                    fr.cataloger,
                    [
                        msgspec.structs.replace(p, path=path) if p.path == target else p
                        for p in fr.packages
                    ],
                    fr.os,
                    fr.warnings,
                )
                for fr in dispatch.files[target]
            ]
    _verify(layer, walk, what)
    _read_link_targets(layer, walk, what, dispatch.want, dispatch.handle)
    for path in walk.dropped:
        dispatch.files.pop(path, None)
    result = LayerResult(
        files=dispatch.files,
        whiteouts=walk.whiteouts,
        opaque=walk.opaque,
        warnings=dispatch.warnings,
        replaced=sorted(
            set(walk.replaced)
            | set(walk.dropped)
            | {p for p in dispatch.replaced if p not in dispatch.files}
        ),
        stored_sha256=walk.raw_sha256,
    )
    if use_cache:
        _cache_store(cpath, result)
    return result


def _read_link_targets(
    layer: LayerBlob,
    walk: LayerWalk,
    what: str,
    want: Callable[[str, int, int], Any],
    handle: Callable[[str, int, int, bytes, Any], None],
) -> None:
    """Second pass, only for hard links whose target no cataloger read (a status file
    hard-linked from /tmp): each target's bytes go to the links' catalogers, none kept."""
    if not walk.unread_links:
        return
    by_target: dict[str, list[tuple[str, int]]] = {}
    for path, target, mode in walk.unread_links:
        by_target.setdefault(target, []).append((path, mode))

    def want_target(path: str, mode: int, size: int) -> bool:
        return path in by_target and size <= MAX_COLLECT_FILE

    def deliver(target: str, mode: int, size: int, data: bytes, token: Any) -> None:
        for path, link_mode in by_target[target]:
            chosen = want(path, link_mode, size)
            if chosen:
                handle(path, link_mode, size, data, chosen)

    try:
        with layer.open() as raw:
            walk_layer(raw, layer.size, want_target, deliver)
    except LayerError as exc:
        raise InputError(f"{what}: {exc}") from None


def _verify(layer: LayerBlob, walk: LayerWalk, what: str) -> None:
    """The stored bytes just walked must hash to the layer's digest."""
    # A legacy docker layer.tar may be stored compressed; then only its diff ID is known.
    legacy_compressed = layer.digest == layer.diff_id and walk.uncompressed != layer.size
    if layer.verifiable and walk.raw_sha256 != layer.digest and not legacy_compressed:
        raise InputError(f"{what}: {layer.name} does not match its digest {layer.digest}")


def _stored_sha256(layer: LayerBlob, what: str, on_bytes: Callable[[int], None] | None) -> str:
    """Hash a layer blob's stored bytes (cheap next to decompressing and walking it)."""
    digest = hashlib.sha256()
    count = 0
    try:
        with layer.open() as raw:
            while chunk := raw.read(1024 * 1024):
                digest.update(chunk)
                count += len(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
    except OSError as exc:
        raise InputError(f"{what}: cannot read {layer.name} ({exc})") from None
    if count != layer.size:
        raise InputError(f"{what}: read {count} bytes but the layer is {layer.size} bytes")
    return "sha256:" + digest.hexdigest()


def drop_hidden(view: dict[str, Any], opaque: Iterable[str], whiteouts: Iterable[str]) -> None:
    """Remove from `view` (path -> anything) what a layer's opaque directories (their
    contents) and whiteouts (the path and everything under it) hide.

    By ranges of the sorted paths, not by testing every path against every whiteout: a
    layer of 100,000 whiteouts over an image of 10,000 catalogued files was 10**9 tests."""
    roots = [(d, False) for d in opaque] + [(w, True) for w in whiteouts]
    if not roots or not view:
        return
    if any(d == "/" for d, _exact in roots):
        view.clear()  # the root directory made opaque (or whited out): nothing is left
        return
    keys = sorted(view)
    # Sorted by prefix, the roots under a directory follow it as one block: once its
    # range is removed, they have nothing left to remove.
    covered = ""
    for root, exact in sorted(roots, key=lambda r: r[0] + "/"):
        if exact:
            view.pop(root, None)
        prefix = root + "/"
        if covered and prefix.startswith(covered):
            continue
        covered = prefix
        index = bisect.bisect_left(keys, prefix)
        while index < len(keys) and keys[index].startswith(prefix):
            view.pop(keys[index], None)
            index += 1


def _package_key(p: Package) -> tuple[str, str, str, str | None]:
    return (p.type, p.name, p.version, p.arch)


def _assemble(
    layers: Iterable[tuple[str, LayerResult]],
) -> tuple[dict[str, list[FileResult]], list[str]]:
    """The final view: path -> results, packages stamped with the introducing layer."""
    current: dict[str, list[FileResult]] = {}
    warnings: list[str] = []
    for diff_id, result in layers:
        warnings.extend(result.warnings)
        drop_hidden(current, result.opaque, result.whiteouts)
        for path in result.replaced:
            current.pop(path, None)
        for path, results in result.files.items():
            previous = current.get(path, [])
            intro: dict[tuple[str, str, str, str | None], str] = {}
            for fr in previous:
                for p in fr.packages:
                    intro[_package_key(p)] = p.layer
            stamped = []
            for fr in results:
                pkgs = [
                    msgspec.structs.replace(p, layer=intro.get(_package_key(p), diff_id))
                    for p in fr.packages
                ]
                stamped.append(FileResult(fr.cataloger, pkgs, fr.os, fr.warnings))
            current[path] = stamped
    return current, warnings


def _distro_purl(p: Package, os_: OSRelease) -> Package:
    """OS packages: the distribution becomes the purl namespace and `distro` qualifier."""
    try:
        purl = PackageURL.from_string(p.purl) if p.purl else None
    except ValueError:
        purl = None
    qualifiers: dict[str, str] = {}
    if purl is not None and isinstance(purl.qualifiers, dict):
        qualifiers.update(purl.qualifiers)
    if os_.version_id:
        qualifiers.setdefault("distro", f"{os_.id}-{os_.version_id}")
    new = PackageURL(
        type=p.type,
        namespace=PURL_NAMESPACE.get(os_.id, os_.id) or (purl.namespace if purl else None),
        name=p.name,
        version=p.version,
        qualifiers=qualifiers or None,
        subpath=purl.subpath if purl else None,
    )
    return msgspec.structs.replace(p, purl=new.to_string(), ecosystem=p.ecosystem or os_.ecosystem)


def _pick_os(candidates: list[OSRelease]) -> OSRelease | None:
    from seawall.packages.catalogers import osrelease

    return osrelease.pick_os(candidates)


def _finish(
    view: dict[str, list[FileResult]], warnings: list[str]
) -> tuple[OSRelease | None, list[Package], list[str]]:
    oses: list[OSRelease] = []
    packages: list[Package] = []
    for path in sorted(view):
        for fr in view[path]:
            if fr.os is not None:
                oses.append(fr.os)
            packages.extend(fr.packages)
            warnings.extend(fr.warnings)
    os_ = _pick_os(oses)
    if os_ is not None:
        packages = [_distro_purl(p, os_) if p.type in OS_PACKAGE_TYPES else p for p in packages]
    packages.sort(key=lambda p: (p.type, p.name, p.version, p.path))
    return os_, packages, warnings


def _walk_dir(
    root: str, label: str, want: Callable[[str, int, int], Any], handle: Callable[..., None]
) -> list[str]:
    """Offer the regular files under `root` (symlinks never followed)."""
    warnings: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        for fname in sorted(filenames):
            full = os.path.join(dirpath, fname)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            path = "/" + (fname if rel_dir == "." else f"{rel_dir}/{fname}").replace(os.sep, "/")
            token = want(path, stat.S_IFREG | (st.st_mode & 0o7777), st.st_size)
            if not token:
                continue
            try:
                with open(full, "rb") as handle_:
                    data = handle_.read(st.st_size + 1)
            except OSError as exc:
                warnings.append(f"{label}: cannot read {path} ({exc.strerror or exc})")
                continue
            if len(data) != st.st_size:
                warnings.append(f"{label}: {path} changed while being read")
                continue
            handle(path, stat.S_IFREG | (st.st_mode & 0o7777), st.st_size, data, token)
    return warnings


def _as_ref(ref: ImageRef | str) -> ImageRef:
    return parse_reference(ref) if isinstance(ref, str) else ref


def catalog_image(
    ref: ImageRef | str,
    *,
    platform: str | None = None,
    use_cache: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImageCatalog:
    """Catalogue the packages and OS of an image (or a `dir:` root filesystem).

    Each layer is read once; packages removed by later layers are not reported; each
    package's `layer` is the diff ID of the layer that introduced it. Raises InputError
    (naming image and layer/file) for unreadable, truncated or mismatching input;
    malformed package records become `warnings`. `on_progress(done, total)` reports
    stored layer bytes read so far.
    """
    ref = _as_ref(ref)
    catalogers = all_catalogers()
    if ref.transport == "dir":
        root = ref.location
        if not os.path.isdir(root):
            raise InputError(f"{ref}: no such directory: {root}")
        dispatch = _Dispatch(catalogers, str(ref))
        warnings = _walk_dir(root, str(ref), dispatch.want, dispatch.handle)
        layer = LayerResult(files=dispatch.files, whiteouts=[], opaque=[], warnings=[])
        view, more = _assemble([("", layer)])
        os_, packages, warns = _finish(view, warnings + dispatch.warnings + more)
        return ImageCatalog(
            ref=ref, digest="", os=os_, packages=packages, layers=[], warnings=warns
        )
    source = open_image(ref, platform)
    total = sum(layer.size for layer in source.layers)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if on_progress is not None:
            on_progress(done, total)

    results = [
        (layer.diff_id, _scan_layer(source, layer, catalogers, use_cache, advance))
        for layer in source.layers
    ]
    view, more = _assemble(results)
    os_, packages, warns = _finish(view, more)
    return ImageCatalog(
        ref=ref,
        digest=source.digest,
        os=os_,
        packages=packages,
        layers=[layer.diff_id for layer in source.layers],
        warnings=warns,
        platform=source.platform,
    )


def collect_files(
    ref: ImageRef | str, wants: Callable[[str, int, int], bool], *, platform: str | None = None
) -> dict[str, bytes]:
    """The final file-system view of the files `wants(path, mode, size)` selects.

    Whiteouts and opaque directories are applied; files over 256 MiB are not collected.
    """
    ref = _as_ref(ref)

    def want(path: str, mode: int, size: int) -> bool:
        return size <= MAX_COLLECT_FILE and bool(wants(path, mode, size))

    if ref.transport == "dir":
        if not os.path.isdir(ref.location):
            raise InputError(f"{ref}: no such directory: {ref.location}")
        out: dict[str, bytes] = {}

        def keep_dir(path: str, mode: int, size: int, data: bytes, token: Any) -> None:
            out[path] = data

        _walk_dir(ref.location, str(ref), want, keep_dir)
        return out
    source = open_image(ref, platform)
    files: dict[str, bytes] = {}
    for layer in source.layers:
        layer_files: dict[str, bytes] = {}

        def keep(
            path: str,
            mode: int,
            size: int,
            data: bytes,
            token: Any,
            into: dict[str, bytes] = layer_files,
        ) -> None:
            into[path] = data

        what = f"{source.label}: layer {layer.index} ({layer.diff_id})"
        try:
            with layer.open() as raw:
                walk = walk_layer(
                    raw, layer.size, want, keep, shadow=lambda p: want(p, stat.S_IFREG | 0o644, 0)
                )
        except LayerError as exc:
            raise InputError(f"{what}: {exc}") from None
        _verify(layer, walk, what)
        _read_link_targets(layer, walk, what, want, keep)
        for path in walk.dropped:
            layer_files.pop(path, None)
        for path, target in walk.links:
            if target in layer_files:
                layer_files[path] = layer_files[target]
        drop_hidden(files, walk.opaque, walk.whiteouts)
        for path in [*walk.replaced, *walk.dropped]:
            files.pop(path, None)
        files.update(layer_files)
    return files
