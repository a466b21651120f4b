"""Writing results: to stdout, or atomically to a file (never half-written)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import msgspec

from seawall.errors import InputError


def write_output(data: str | bytes, output: Path | None) -> None:
    """Write `data` to `output`, or to stdout when `output` is None.

    A file is written to a temporary sibling and renamed into place, so a failure
    leaves either the old file or none, never a partial one.
    """
    raw = data.encode() if isinstance(data, str) else data
    if output is None:
        sys.stdout.buffer.write(raw)
        if raw and not raw.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()
        return
    directory = output.parent if str(output.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"cannot write {output}: directory {directory} does not exist")
    if output.is_dir():  # os.replace would raise IsADirectoryError (a traceback)
        raise InputError(f"cannot write {output}: it is a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=directory)
    except OSError as exc:  # a directory we may not write to
        raise InputError(f"cannot write {output}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        os.replace(tmp, output)
    except OSError as exc:  # disk full, a read-only file system...
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InputError(f"cannot write {output}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _enc_hook(obj: object) -> object:
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


_ENCODER = msgspec.json.Encoder(enc_hook=_enc_hook, order="deterministic")


def to_json(document: object, *, indent: int = 2) -> bytes:
    """Encode model records and plain data as JSON (stable key order, indented)."""
    raw = _ENCODER.encode(document)
    return msgspec.json.format(raw, indent=indent) + b"\n" if indent else raw + b"\n"
