"""Streaming one layer once: decompress, read tar headers, hand wanted files on.

The tar headers are parsed here rather than with `tarfile`, because per-member overhead
dominates on images with tens of thousands of files: unwanted file data is skipped in large
chunks straight from the decompressor's buffer, never turned into Python objects.
"""

from __future__ import annotations

import hashlib
import posixpath
import stat
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MiB = 1024 * 1024
CHUNK = 1 * MiB
# Decompression bombs: a layer may expand at most RATIO_CAP times its stored size (past a
# small allowance) and never beyond MAX_LAYER_BYTES.
RATIO_CAP = 200
RATIO_ALLOWANCE = 256 * MiB
MAX_LAYER_BYTES = 64 * 1024 * MiB
MAX_META = 1 * MiB  # pax / GNU long-name records

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

# (path, mode incl. S_IFREG, size) -> token (truthy: wanted)
WantFn = Callable[[str, int, int], Any]
# (path, mode, size, data, token)
HandleFn = Callable[[str, int, int, bytes, Any], None]


class LayerError(Exception):
    """A layer cannot be read; the caller names image and layer."""


@dataclass
class LayerWalk:
    whiteouts: list[str] = field(default_factory=list)  # paths deleted from lower layers
    opaque: list[str] = field(default_factory=list)  # dirs whose lower contents are hidden
    # Non-file entries (symlinks, directories, unreadable links) at paths a cataloger would
    # want: they replace whatever file lower layers had there.
    replaced: list[str] = field(default_factory=list)
    members: int = 0
    uncompressed: int = 0
    raw_sha256: str = ""


class _HashingReader:
    """Hashes (and counts) the stored bytes as the decompressor pulls them."""

    def __init__(self, raw: Any, on_bytes: Callable[[int], None] | None = None) -> None:
        self._raw = raw
        self.hash = hashlib.sha256()
        self.count = 0
        self._on_bytes = on_bytes

    def read(self, n: int = -1) -> bytes:
        data: bytes = self._raw.read(n)
        self.hash.update(data)
        self.count += len(data)
        if self._on_bytes is not None:
            self._on_bytes(len(data))
        return data

    def readinto(self, buf: Any) -> int:
        n: int = self._raw.readinto(buf)
        if n:
            self.hash.update(memoryview(buf)[:n])
            self.count += n
            if self._on_bytes is not None:
                self._on_bytes(n)
        return n

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass

    @property
    def closed(self) -> bool:
        return False


class _Prefixed:
    """A stream with some already-read bytes put back in front."""

    def __init__(self, head: bytes, raw: Any) -> None:
        self._head = head
        self._raw = raw

    def read(self, n: int = -1) -> bytes:
        if self._head:
            if n < 0:
                whole = self._head + self._raw.read()
                self._head = b""
                return bytes(whole)
            out = self._head[:n]
            self._head = self._head[n:]
            return out
        return bytes(self._raw.read(n))

    def readinto(self, buf: Any) -> int:
        view = memoryview(buf)
        if self._head:
            n = min(len(self._head), len(view))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return int(self._raw.readinto(view))

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass

    @property
    def closed(self) -> bool:
        return False


def _decompressor(raw: Any) -> tuple[Any, str]:
    """Wrap `raw` in the decompressor its magic bytes call for."""
    head = raw.read(6)
    stream = _Prefixed(head, raw)
    if head[:3] == b"BZh" or head == b"\xfd7zXZ\x00":
        raise LayerError(
            f"unsupported layer compression ({'bzip2' if head[:3] == b'BZh' else 'xz'}); "
            "expected tar, gzip or zstd"
        )
    if head[:2] == GZIP_MAGIC:
        from isal import igzip

        fileobj: Any = stream
        return igzip.GzipFile(fileobj=fileobj, mode="rb"), "gzip"  # type: ignore[no-untyped-call]
    if head[:4] == ZSTD_MAGIC:
        import zstandard

        source: Any = stream
        return zstandard.ZstdDecompressor().stream_reader(source, read_size=CHUNK), "zstd"
    return stream, "tar"


class _Blocks:
    """Buffered reads over a decompressed stream, with a size cap."""

    __slots__ = ("_buf", "_end", "_limit", "_pos", "_raw", "_view", "total")

    def __init__(self, raw: Any, limit: int) -> None:
        self._raw = raw
        self._buf = bytearray(CHUNK)
        self._view = memoryview(self._buf)
        self._pos = 0
        self._end = 0
        self._limit = limit
        self.total = 0

    def _fill(self) -> int:
        n = int(self._raw.readinto(self._view) or 0)
        self._pos = 0
        self._end = n
        self.total += n
        if self.total > self._limit:
            raise LayerError(f"decompresses to more than {self._limit} bytes (decompression bomb?)")
        return n

    def read(self, n: int) -> bytes:
        avail = self._end - self._pos
        if avail >= n:
            out = bytes(self._view[self._pos : self._pos + n])
            self._pos += n
            return out
        parts = [bytes(self._view[self._pos : self._end])]
        need = n - avail
        self._pos = self._end
        while need:
            if not self._fill():
                raise LayerError("truncated: ends inside a tar member")
            take = min(need, self._end)
            parts.append(bytes(self._view[:take]))
            self._pos = take
            need -= take
        return b"".join(parts)

    def read_header(self) -> bytes | None:
        """The next 512-byte block, or None at a clean end of stream."""
        if self._end - self._pos >= 512:
            out = bytes(self._view[self._pos : self._pos + 512])
            self._pos += 512
            return out
        if self._pos == self._end and not self._fill():
            return None
        return self.read(512)

    def skip(self, n: int) -> None:
        avail = self._end - self._pos
        if avail >= n:
            self._pos += n
            return
        n -= avail
        self._pos = self._end
        while n:
            if not self._fill():
                raise LayerError("truncated: ends inside a tar member")
            take = min(n, self._end)
            self._pos = take
            n -= take


def _octal(field_: bytes) -> int:
    if field_ and field_[0] & 0x80:  # GNU base-256 for large sizes
        value = field_[0] & 0x3F
        for b in field_[1:]:
            value = (value << 8) | b
        return value
    text = field_.split(b"\0", 1)[0].strip(b" \0")
    return int(text, 8) if text else 0


def _pax_records(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        length = int(data[pos:space])
        if length <= 0:
            raise ValueError("bad pax record length")
        record = data[space + 1 : pos + length - 1]
        key, _, value = record.partition(b"=")
        out[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


def normalise(name: str) -> str:
    """An absolute, normalised path inside the image; `..` cannot climb above `/`."""
    return posixpath.normpath("/" + name) if name else "/"


def walk_layer(
    raw: Any,
    stored_size: int,
    want: WantFn,
    handle: HandleFn,
    *,
    limit: int | None = None,
    on_bytes: Callable[[int], None] | None = None,
    shadow: Callable[[str], bool] | None = None,
) -> LayerWalk:
    """Stream one layer (plain, gzip or zstd tar) once.

    For every regular file (and hard link) `want(path, mode, size)` decides from the header
    alone; wanted files' bytes go to `handle`. Whiteouts and opaque directories are
    collected, not applied. `on_bytes(n)` reports stored bytes as they are read (progress).
    Raises LayerError for a truncated or corrupt layer.
    """
    hashing = _HashingReader(raw, on_bytes)
    try:
        stream, _kind = _decompressor(hashing)
    except LayerError:
        raise
    except Exception as exc:
        raise LayerError(f"cannot read ({exc})") from None
    cap = limit or min(MAX_LAYER_BYTES, max(RATIO_ALLOWANCE, stored_size * RATIO_CAP))
    blocks = _Blocks(stream, cap)
    walk = LayerWalk()
    kept: dict[str, bytes] = {}  # wanted files of this layer, for hard links to them
    long_name: str | None = None
    long_link: str | None = None
    pax: dict[str, str] = {}
    try:
        while True:
            header = blocks.read_header()
            if header is None:
                break
            if header.count(0) == 512:
                break  # end-of-archive marker
            chksum = _octal(header[148:156])
            if chksum != sum(header[:148]) + 256 + sum(header[156:]):
                raise LayerError(f"corrupt tar header after {walk.members} members")
            typeflag = header[156:157]
            size = _octal(header[124:136])
            padded = (size + 511) & ~511
            if typeflag in (b"L", b"K", b"x"):
                if size > MAX_META:
                    raise LayerError("oversized tar metadata record")
                data = blocks.read(padded)[:size]
                if typeflag == b"L":
                    long_name = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
                elif typeflag == b"K":
                    long_link = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
                else:
                    pax = _pax_records(data)
                continue
            if typeflag == b"g":
                blocks.skip(padded)
                continue
            walk.members += 1
            if long_name is not None:
                name = long_name
            elif "path" in pax:
                name = pax["path"]
            else:
                raw_name = header[0:100].split(b"\0", 1)[0]
                if header[257:263] == b"ustar\x00" and header[345] != 0:
                    raw_name = header[345:500].split(b"\0", 1)[0] + b"/" + raw_name
                name = raw_name.decode("utf-8", "surrogateescape")
            if "size" in pax:
                size = int(pax["size"])
                padded = (size + 511) & ~511
            linkname = long_link if long_link is not None else pax.get("linkpath")
            long_name = long_link = None
            pax = {}
            path = normalise(name)
            base = path.rpartition("/")[2]
            if base.startswith(".wh."):
                parent = path.rpartition("/")[0] or "/"
                if base == ".wh..wh..opq":
                    walk.opaque.append(parent)
                elif not base.startswith(".wh..wh."):
                    walk.whiteouts.append(posixpath.join(parent, base[4:]))
                blocks.skip(padded)
                continue
            if typeflag in (b"0", b"\0", b"7"):
                mode = stat.S_IFREG | (_octal(header[100:108]) & 0o7777)
                token = want(path, mode, size)
                if token:
                    data = blocks.read(size)
                    blocks.skip(padded - size)
                    kept[path] = data
                    handle(path, mode, size, data, token)
                else:
                    blocks.skip(padded)
            elif typeflag == b"1":
                if linkname is None:
                    linkname = header[157:257].split(b"\0", 1)[0].decode("utf-8", "replace")
                target = normalise(linkname)
                blocks.skip(padded)
                token = None
                if target in kept:
                    data = kept[target]
                    mode = stat.S_IFREG | (_octal(header[100:108]) & 0o7777)
                    token = want(path, mode, len(data))
                    if token:
                        handle(path, mode, len(data), data, token)
                if not token and shadow is not None and shadow(path):
                    walk.replaced.append(path)
            else:
                blocks.skip(padded)
                if shadow is not None and shadow(path):
                    walk.replaced.append(path)
    except LayerError:
        raise
    except (EOFError, zlib.error, OSError, ValueError) as exc:
        raise LayerError(f"corrupt or truncated ({exc})") from None
    except Exception as exc:
        # zstandard.ZstdError and isal errors have no common base class
        if type(exc).__module__.split(".")[0] in ("zstandard", "isal", "gzip"):
            raise LayerError(f"corrupt or truncated ({exc})") from None
        raise
    # Drain what follows the end marker so the stored bytes can be hashed completely.
    try:
        while blocks._fill():
            pass
        while hashing.read(CHUNK):
            pass
    except Exception as exc:
        raise LayerError(f"corrupt or truncated ({exc})") from None
    walk.uncompressed = blocks.total
    walk.raw_sha256 = "sha256:" + hashing.hash.hexdigest()
    if hashing.count != stored_size:
        raise LayerError(f"read {hashing.count} bytes but the layer is {stored_size} bytes")
    return walk
