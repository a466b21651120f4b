"""Bounded readers for hostile input files: sizes, decompression ratios, zip members."""

from __future__ import annotations

import gzip
import zipfile
from collections.abc import Iterator
from pathlib import Path

from seawall.errors import InputError

MAX_FILE_BYTES = 1 << 30  # a whole feed file (the Debian tracker JSON is ~80 MB)
MAX_RECORD_BYTES = 32 << 20  # one OSV record inside an archive
MAX_ARCHIVE_BYTES = 8 << 30  # everything inside one all.zip, uncompressed
MAX_RATIO = 200  # uncompressed / compressed, per member and per gzip file
MAX_MEMBERS = 2_000_000


def read_file(path: Path) -> bytes:
    """The bytes of `path` (gunzipped when it ends in .gz), bounded in size."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: {size} bytes is more than the {MAX_FILE_BYTES} limit")
        if path.name.endswith(".gz"):
            return _gunzip(path, size)
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _gunzip(path: Path, size: int) -> bytes:
    limit = min(MAX_FILE_BYTES, max(size, 1) * MAX_RATIO)
    chunks: list[bytes] = []
    total = 0
    try:
        with gzip.open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                total += len(chunk)
                if total > limit:
                    raise InputError(f"{path}: decompresses to more than {limit} bytes")
                chunks.append(chunk)
    except (gzip.BadGzipFile, EOFError, OSError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path}: not a valid gzip file ({exc})") from None
    return b"".join(chunks)


def iter_zip_records(path: Path) -> Iterator[tuple[str, bytes]]:
    """(member name, bytes) of every .json/.yaml member of an archive, bounded.

    Member names are only used as labels: nothing is extracted to disk.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path}: not a valid zip archive ({exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise InputError(f"{path}: {len(infos)} members is more than {MAX_MEMBERS}")
        total = 0
        for info in infos:
            if info.is_dir() or not info.filename.endswith((".json", ".yaml", ".yml")):
                continue
            if info.file_size > MAX_RECORD_BYTES or info.file_size > MAX_RATIO * max(
                info.compress_size, 1024
            ):
                raise InputError(f"{path}: member {info.filename!r} is too large or too compressed")
            total += info.file_size
            if total > MAX_ARCHIVE_BYTES:
                raise InputError(f"{path}: decompresses to more than {MAX_ARCHIVE_BYTES} bytes")
            try:
                with archive.open(info) as member:
                    data = member.read(MAX_RECORD_BYTES + 1)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                raise InputError(f"{path}: corrupt member {info.filename!r} ({exc})") from None
            if len(data) > MAX_RECORD_BYTES:
                raise InputError(f"{path}: member {info.filename!r} is larger than declared")
            yield info.filename, data
