"""Go modules from the build information embedded in Go executables (ELF).

The linker writes a `\\xff Go buildinf:` blob (in `.go.buildinfo`): a 32-byte header
(magic, pointer size, flags) followed by the Go version and the module info text. Go >= 1.18
stores both strings inline as varint-prefixed bytes (flags bit 2); older toolchains store
two pointers to Go string headers, resolved here through the ELF program headers.
The module info lists `path`, `mod` (the main module), `dep` lines and `=>` replacements.
"""

from __future__ import annotations

import stat
import struct

from packageurl import PackageURL

from seawall.model import Package
from seawall.packages.catalogers.base import Cataloger, CatalogResult, FileEntry, MiB, register

MAGIC = b"\xff Go buildinf:"
_HEADER = 32
_MIN_SIZE = 64 * 1024
_NOT_BINARIES = (".sh", ".py", ".pl", ".rb", ".js", ".txt", ".conf", ".json", ".bash")
_MAX_STRING = 16 * MiB
_MAX_SECTION_NAME = 256


class _Bad(Exception):
    """Malformed build info (becomes a warning)."""


def go_purl(module: str, version: str) -> str:
    """pkg:golang/host/path/name@version (no version for a "(devel)" main module)."""
    namespace, _, name = module.rpartition("/")
    if version == "(devel)":
        version = ""
    return PackageURL(
        type="golang", namespace=namespace or None, name=name, version=version or None
    ).to_string()


class _Elf:
    def __init__(self, data: bytes) -> None:
        if len(data) < 64 or data[:4] != b"\x7fELF":
            raise _Bad("not an ELF file")
        self.data = data
        cls, enc = data[4], data[5]
        if cls not in (1, 2) or enc not in (1, 2):
            raise _Bad("unknown ELF class or encoding")
        self.is64 = cls == 2
        self.end = "<" if enc == 1 else ">"
        e = self.end
        if self.is64:
            phoff, shoff = struct.unpack_from(e + "QQ", data, 32)
            phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(e + "5H", data, 54)
        else:
            phoff, shoff = struct.unpack_from(e + "II", data, 28)
            phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(e + "5H", data, 42)
        self.segments: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
        self.writable: list[tuple[int, int]] = []  # (offset, filesz) of writable segments
        for i in range(min(phnum, 512)):
            off = phoff + i * phentsize
            if off + (56 if self.is64 else 32) > len(data):
                break
            if self.is64:
                p_type, p_flags, p_offset, p_vaddr, _pa, p_filesz = struct.unpack_from(
                    e + "IIQQQQ", data, off
                )
            else:
                p_type, p_offset, p_vaddr, _pa, p_filesz, _memsz, p_flags = struct.unpack_from(
                    e + "7I", data, off
                )
            if p_type == 1:  # PT_LOAD
                self.segments.append((p_vaddr, p_offset, p_filesz))
                if p_flags & 2:  # PF_W
                    self.writable.append((p_offset, p_filesz))
        self.sections: dict[str, tuple[int, int]] = {}  # name -> (offset, size)
        self._read_sections(shoff, shentsize, shnum, shstrndx)

    def _read_sections(self, shoff: int, shentsize: int, shnum: int, shstrndx: int) -> None:
        data, e = self.data, self.end
        need = 64 if self.is64 else 40
        if not shoff or shnum == 0 or shnum > 4096 or shstrndx >= shnum or shentsize < need:
            return
        if shoff + shnum * shentsize > len(data):
            return
        raw: list[tuple[int, int, int]] = []
        for i in range(shnum):
            off = shoff + i * shentsize
            if self.is64:
                name, _t, _f, _a, s_off, s_size = struct.unpack_from(e + "IIQQQQ", data, off)
            else:
                name, _t, _f, _a, s_off, s_size = struct.unpack_from(e + "6I", data, off)
            raw.append((name, s_off, s_size))
        _n, str_off, str_size = raw[shstrndx]
        strtab = data[str_off : str_off + str_size]
        for name_off, s_off, s_size in raw:
            # section names are short: a search bounded per name (4,096 unbounded searches
            # of a string table without NULs scan gigabytes)
            end = strtab.find(b"\0", name_off, name_off + _MAX_SECTION_NAME)
            if end < 0:
                continue
            self.sections[strtab[name_off:end].decode("latin-1")] = (s_off, s_size)

    def read_at(self, vaddr: int, size: int) -> bytes:
        for seg_vaddr, seg_off, seg_size in self.segments:
            if seg_vaddr <= vaddr and vaddr + size <= seg_vaddr + seg_size:
                start = seg_off + (vaddr - seg_vaddr)
                chunk = self.data[start : start + size]
                if len(chunk) == size:
                    return chunk
        raise _Bad(f"address {vaddr:#x} is outside the file")

    def buildinfo_offset(self) -> int:
        section = self.sections.get(".go.buildinfo")
        if section is not None:
            off = section[0]
            if self.data[off : off + len(MAGIC)] == MAGIC:
                return off
        # Go's debug/buildinfo falls back to the writable segments (the blob is data). When
        # there are no section headers at all, search the whole file.
        spans = _merged(self.writable) if self.sections else [(0, len(self.data))]
        for start, size in spans:
            end = min(start + size, len(self.data))
            off = self.data.find(MAGIC, start, end)
            while off >= 0:
                if len(self.data) >= off + _HEADER and self.data[off + 14] in (4, 8):
                    return off
                off = self.data.find(MAGIC, off + 1, end)
        return -1


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(offset, size) spans with overlaps merged, so each byte is searched once (512
    crafted segments may all cover the whole file)."""
    out: list[tuple[int, int]] = []
    for start, size in sorted(spans):
        if out and start <= out[-1][0] + out[-1][1]:
            last_start, last_size = out[-1]
            out[-1] = (last_start, max(last_size, start + size - last_start))
        else:
            out.append((start, size))
    return out


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise _Bad("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def read_buildinfo(data: bytes) -> tuple[str, str] | None:
    """(go version, module info text) of an ELF Go binary; None if it is not one."""
    elf = _Elf(data)
    off = elf.buildinfo_offset()
    if off < 0:
        return None
    header = data[off : off + _HEADER]
    if len(header) < _HEADER:
        raise _Bad("truncated build info header")
    ptr_size, flags = header[14], header[15]
    if flags & 2:  # Go >= 1.18: inline varint-prefixed strings
        pos = off + _HEADER
        strings: list[bytes] = []
        for _ in range(2):
            length, pos = _uvarint(data, pos)
            if length > _MAX_STRING or pos + length > len(data):
                raise _Bad("build info string runs past the end of the file")
            strings.append(data[pos : pos + length])
            pos += length
        version, mod = strings
    else:
        if ptr_size not in (4, 8):
            raise _Bad(f"bad pointer size {ptr_size}")
        end = ">" if flags & 1 else "<"
        fmt = end + ("Q" if ptr_size == 8 else "I")

        def read_string(ptr_pos: int) -> bytes:
            (addr,) = struct.unpack_from(fmt, data, ptr_pos)
            hdr = elf.read_at(addr, 2 * ptr_size)
            str_addr = struct.unpack_from(fmt, hdr, 0)[0]
            length = struct.unpack_from(fmt, hdr, ptr_size)[0]
            if length > _MAX_STRING:
                raise _Bad("build info string too long")
            if length == 0:
                return b""
            return elf.read_at(str_addr, length)

        version = read_string(off + 16)
        mod = read_string(off + 16 + ptr_size)
    if len(mod) >= 33 and mod[-17:-16] == b"\n":
        mod = mod[16:-16]  # sentinel bytes around the module info
    return version.decode("utf-8", errors="replace"), mod.decode("utf-8", errors="replace")


@register
class GoCataloger(Cataloger):
    name = "golang"
    version = 1
    max_size = 512 * MiB

    def wants(self, path: str, mode: int, size: int) -> bool:
        if not mode & 0o111 or stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            return False
        if size < _MIN_SIZE or size > self.max_size:
            return False
        return not path.endswith(_NOT_BINARIES)

    def catalog(self, entry: FileEntry) -> CatalogResult:
        result = CatalogResult()
        if entry.data[:4] != b"\x7fELF":
            return result  # not a binary this cataloger reads: nothing to say
        try:
            info = read_buildinfo(entry.data)
        except (_Bad, struct.error) as exc:
            result.warnings.append(f"{entry.path}: Go build info unreadable: {exc}")
            return result
        if info is None:
            return result
        go_version, modinfo = info
        self._packages(entry, go_version, modinfo, result)
        return result

    def _pkg(self, entry: FileEntry, name: str, version: str, **meta: object) -> Package:
        return Package(
            name=name,
            version=version,
            type="golang",
            purl=go_purl(name, version),
            ecosystem="Go",
            path=entry.path,
            cataloger=self.key,
            metadata={k: v for k, v in meta.items() if v},
        )

    def _packages(
        self, entry: FileEntry, go_version: str, modinfo: str, result: CatalogResult
    ) -> None:
        main: list[str] | None = None
        deps: list[list[str]] = []  # [path, version, replaced-path, replaced-version]
        settings: dict[str, str] = {}
        main_path = ""
        for number, line in enumerate(modinfo.splitlines(), 1):
            if not line:
                continue
            fields = line.split("\t")
            kind = fields[0]
            if kind == "path" and len(fields) >= 2:
                main_path = fields[1]
            elif kind in ("mod", "dep"):
                if len(fields) < 3 or not fields[1]:
                    result.warnings.append(
                        f"{entry.path}: Go build info line {number} ({kind}) malformed: skipped"
                    )
                    continue
                record = [fields[1], fields[2], "", ""]
                if kind == "mod":
                    main = record
                else:
                    deps.append(record)
            elif kind == "=>":
                target = deps[-1] if deps else main
                if target is None or len(fields) < 2:
                    result.warnings.append(
                        f"{entry.path}: Go build info line {number}: replacement without module"
                    )
                    continue
                target[2] = fields[1]
                target[3] = fields[2] if len(fields) >= 3 else ""
            elif kind == "build" and len(fields) >= 2:
                key, _, value = fields[1].partition("=")
                if key in ("GOOS", "GOARCH", "vcs", "vcs.revision", "vcs.time", "-ldflags"):
                    settings[key] = value

        def add(name: str, version: str, **meta: object) -> None:
            try:
                result.packages.append(self._pkg(entry, name, version, **meta))
            except ValueError as exc:  # no package URL for it ("bad/" has no name part)
                result.warnings.append(f"{entry.path}: Go module {name!r}: {exc}: skipped")

        if main is not None:
            add(main[0], main[1], main=True, main_package=main_path, build=settings)
        for path, version, repl_path, repl_version in deps:
            if repl_path and repl_version and not repl_path.startswith((".", "/")):
                # A module replacement: what is linked in is the replacement module.
                add(repl_path, repl_version, replaces=f"{path}@{version}")
            else:
                # A local directory replacement keeps the required module's identity.
                add(path, version, replaced_by=repl_path)
        if go_version.split():  # a blank version string: no stdlib entry (was an IndexError)
            std = go_version.split()[0].removeprefix("go")
            add("stdlib", std, go_version=go_version)
