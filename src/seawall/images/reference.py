"""Image references: `transport:location[:tag][@digest]` for the transports read from disk."""

from __future__ import annotations

import os
import re

from seawall.errors import InputError
from seawall.model import ImageRef

TRANSPORTS = ("docker-archive", "oci-layout", "oci-archive", "dir")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# A tag as OCI layouts name them (org.opencontainers.image.ref.name): no slashes.
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$")


def parse_reference(text: str) -> ImageRef:
    """Parse an image reference.

    `docker-archive:FILE[:TAG]`, `oci-layout:DIR[:TAG][@DIGEST]`, `oci-archive:FILE[:TAG]`,
    `dir:PATH`. A bare existing path is accepted too: a directory holding `index.json` is an
    OCI layout, any other directory a root filesystem, a file a docker archive.
    Raises InputError for an empty reference or an unknown transport.
    """
    text = text.strip()
    if not text:
        raise InputError("empty image reference")
    transport, sep, rest = text.partition(":")
    if not sep or transport not in TRANSPORTS:
        if os.path.isdir(text):
            kind = "oci-layout" if os.path.isfile(os.path.join(text, "index.json")) else "dir"
            return ImageRef(transport=kind, location=text)
        if os.path.isfile(text):
            return ImageRef(transport="docker-archive", location=text)
        if sep and "/" not in transport and not transport.startswith("."):
            raise InputError(
                f"image reference {text!r}: unknown transport {transport!r} "
                f"(expected one of: {', '.join(TRANSPORTS)})"
            )
        raise InputError(
            f"image reference {text!r}: no such file or directory, and no transport given "
            f"(expected one of: {', '.join(t + ':' for t in TRANSPORTS)})"
        )
    if not rest:
        raise InputError(f"image reference {text!r}: missing path after {transport}:")
    if transport == "dir":
        return ImageRef(transport=transport, location=rest)
    digest: str | None = None
    tag: str | None = None
    location = rest
    if "@" in location and transport != "docker-archive":
        head, _, tail = location.rpartition("@")
        if _DIGEST.match(tail):
            location, digest = head, tail
    # DIR:TAG: the part after the last colon is a tag when it cannot be part of a path
    # (no slash) and the whole text is not itself an existing path.
    head, colon, tail = location.rpartition(":")
    if colon and head and _TAG.match(tail) and not os.path.exists(location):
        location, tag = head, tail
    return ImageRef(transport=transport, location=location, tag=tag, digest=digest)
