"""The cataloger contract (after Trivy's analyzers).

A cataloger says which files it wants (`wants`, by path, mode and size, decided from the
tar header alone); the layer walker streams each layer once and hands every wanted file's
bytes to the catalogers that asked for it. A cataloger never sees the file system, only
the files it asked for, so the same cataloger runs on layers, archives and directories.

`version` is part of the layer cache key: bump it whenever a change alters the output.
"""

from __future__ import annotations

import stat
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from seawall.model import Package

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A file offered to a cataloger.

    path: absolute and normalised inside the image ("/var/lib/dpkg/status")
    data: the whole content (at most the cataloger's `max_size` bytes)
    """

    path: str
    size: int
    mode: int
    data: bytes

    @property
    def is_executable(self) -> bool:
        return bool(self.mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))


@dataclass(frozen=True, slots=True)
class OSRelease:
    """The distribution an image is built on, and its advisory ecosystem.

    id: os-release ID (debian, ubuntu, alpine, rhel, rocky, almalinux, centos, sles, ...)
    ecosystem: OSV ecosystem name ("Debian:12", "Alpine:v3.19", "Ubuntu:22.04", ...)
    """

    id: str
    version_id: str
    name: str = ""
    pretty_name: str = ""
    version_codename: str = ""
    id_like: tuple[str, ...] = ()
    ecosystem: str = ""
    source: str = ""  # the file it was read from


@dataclass(slots=True)
class CatalogResult:
    """What one cataloger found in one file."""

    packages: list[Package] = field(default_factory=list)
    os: OSRelease | None = None
    # Malformed records: one line each naming the file and the record; the rest of the
    # file is still catalogued.
    warnings: list[str] = field(default_factory=list)


class Cataloger(ABC):
    """One package type. Subclasses set `name` and `version` and register themselves."""

    name: ClassVar[str]
    version: ClassVar[int]
    max_size: ClassVar[int] = 256 * MiB  # larger files are skipped with a warning

    @abstractmethod
    def wants(self, path: str, mode: int, size: int) -> bool:
        """True when the file at `path` should be handed to `catalog` (header facts only)."""

    @abstractmethod
    def catalog(self, entry: FileEntry) -> CatalogResult:
        """Read packages from one file. Never raises for malformed content: warns instead."""

    @property
    def key(self) -> str:
        """name@version, recorded on every package and used in cache keys."""
        return f"{self.name}@{self.version}"


_REGISTRY: list[type[Cataloger]] = []


C = TypeVar("C", bound=type[Cataloger])


def register(cls: C) -> C:
    """Class decorator: add a cataloger to the registry."""
    if cls not in _REGISTRY:
        _REGISTRY.append(cls)
    return cls


def registered() -> list[type[Cataloger]]:
    return list(_REGISTRY)
