"""Go cataloger on a real Go binary built here (Debian's go 1.19, offline).

The binary depends on github.com/pkg/errors v0.9.1 (Debian's golang-github-pkg-errors-dev
source, vendored with its version in vendor/modules.txt) and on example.com/greet, replaced
by a local directory. Go >= 1.18 writes the inline build info format; the pre-1.18 pointer
format cannot be produced by this toolchain, so that test lays out a minimal ELF file by
code (one PT_LOAD segment, the 32-byte header and two Go string headers, as
debug/buildinfo reads them) around the module text the real binary carries.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from catalogers_lib import entry, run

from seawall.model import Package
from seawall.packages.catalogers.golang import MAGIC, GoCataloger, read_buildinfo

ERRORS_SRC = Path("/usr/share/gocode/src/github.com/pkg/errors")
GO_MOD = """module example.com/seawall/hello

go 1.19

require (
\texample.com/greet v1.0.0
\tgithub.com/pkg/errors v0.9.1
)

replace example.com/greet => ./greet
"""
MAIN = """package main

import (
\t"fmt"

\t"example.com/greet"
\t"github.com/pkg/errors"
)

func main() { fmt.Println(greet.Hello(), errors.New("x")) }
"""
MODULES_TXT = """# example.com/greet v1.0.0 => ./greet
## explicit
example.com/greet
# github.com/pkg/errors v0.9.1
## explicit
github.com/pkg/errors
# example.com/greet => ./greet
"""
# Go's sentinels around the module text (runtime/debug, cmd/go/internal/modload).
SENTINEL_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
SENTINEL_END = bytes.fromhex("f932433186182072008242104116d8f2")


@pytest.fixture(scope="module")
def go_binary(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    root = tmp_path_factory.mktemp("go")
    app = root / "app"
    (app / "greet").mkdir(parents=True)
    (app / "go.mod").write_text(GO_MOD)
    (app / "main.go").write_text(MAIN)
    (app / "greet" / "go.mod").write_text("module example.com/greet\n\ngo 1.19\n")
    (app / "greet" / "greet.go").write_text(
        'package greet\n\nfunc Hello() string { return "hi" }\n'
    )
    vendor = app / "vendor"
    shutil.copytree(
        ERRORS_SRC, vendor / "github.com/pkg/errors", ignore=shutil.ignore_patterns("*_test.go")
    )
    shutil.copytree(
        app / "greet", vendor / "example.com/greet", ignore=shutil.ignore_patterns("go.mod")
    )
    (vendor / "modules.txt").write_text(MODULES_TXT)
    env = dict(
        os.environ,
        GOFLAGS="-mod=vendor",
        GOPROXY="off",
        GOCACHE=str(root / "cache"),
        GOPATH=str(root / "gopath"),
        CGO_ENABLED="0",
        GOTOOLCHAIN="local",
    )
    subprocess.run(
        ["go", "build", "-o", str(root / "hello"), "."],
        cwd=app,
        env=env,
        check=True,
        capture_output=True,
    )
    return (root / "hello").read_bytes()


def _pointer_format_elf(version: bytes, modinfo: bytes) -> bytes:
    """A minimal little-endian ELF64 with a Go < 1.18 (pointer format) build info blob."""
    base = 0x400000
    info_off = 0x100
    strhdr_off = info_off + 32
    version_off = strhdr_off + 32
    mod_off = version_off + len(version)
    size = mod_off + len(modinfo)
    ident = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, base, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, size, size, 0x1000)
    blob = bytearray(size)
    blob[: len(ehdr)] = ehdr
    blob[64 : 64 + len(phdr)] = phdr
    header = MAGIC + bytes([8, 0]) + struct.pack("<QQ", base + strhdr_off, base + strhdr_off + 16)
    blob[info_off : info_off + 32] = header
    blob[strhdr_off : strhdr_off + 32] = struct.pack(
        "<QQQQ", base + version_off, len(version), base + mod_off, len(modinfo)
    )
    blob[version_off:mod_off] = version
    blob[mod_off:] = modinfo
    return bytes(blob)


def _summary(packages: list[Package]) -> dict[str, tuple[str, str]]:
    return {p.name: (p.version, p.purl) for p in packages}


def test_real_go_binary_modules_replacements_and_stdlib(go_binary: bytes) -> None:
    cat = GoCataloger()
    result = run(cat, "/usr/local/bin/hello", go_binary, mode=0o100755)
    assert result.warnings == []
    assert _summary(result.packages) == {
        "example.com/seawall/hello": ("(devel)", "pkg:golang/example.com/seawall/hello"),
        "example.com/greet": ("v1.0.0", "pkg:golang/example.com/greet@v1.0.0"),
        "github.com/pkg/errors": ("v0.9.1", "pkg:golang/github.com/pkg/errors@v0.9.1"),
        "stdlib": ("1.19.8", "pkg:golang/stdlib@1.19.8"),
    }
    by_name = {p.name: p for p in result.packages}
    assert by_name["example.com/seawall/hello"].metadata["main"] is True
    assert by_name["example.com/seawall/hello"].metadata["build"]["GOOS"] == "linux"
    assert by_name["example.com/greet"].metadata == {"replaced_by": "./greet"}
    for pkg in result.packages:
        assert pkg.type == "golang" and pkg.ecosystem == "Go" and pkg.cataloger == "golang@1"
        assert pkg.path == "/usr/local/bin/hello"


def test_go_version_m_agrees(go_binary: bytes, tmp_path: Path) -> None:
    binary = tmp_path / "hello"
    binary.write_bytes(go_binary)
    binary.chmod(0o755)  # go version skips files that are not executable
    out = subprocess.run(
        ["go", "version", "-m", str(binary)], check=True, capture_output=True, text=True
    ).stdout
    deps = {tuple(line.split("\t")[2:4]) for line in out.splitlines() if "\tdep\t" in line}
    version, modinfo = read_buildinfo(go_binary) or ("", "")
    assert out.startswith(f"{binary}: {version}\n")
    ours = {tuple(line.split("\t")[1:3]) for line in modinfo.splitlines() if line.startswith("dep")}
    assert ours == deps == {("example.com/greet", "v1.0.0"), ("github.com/pkg/errors", "v0.9.1")}


def test_binary_without_section_headers_is_found_by_search(go_binary: bytes) -> None:
    stripped = bytearray(go_binary)
    stripped[0x28:0x30] = b"\0" * 8  # e_shoff
    stripped[0x3C:0x40] = b"\0" * 4  # e_shnum, e_shstrndx
    result = GoCataloger().catalog(entry("/app", bytes(stripped), 0o100755))
    assert "github.com/pkg/errors" in _summary(result.packages)


def test_pre_118_pointer_format_with_module_replacement(go_binary: bytes) -> None:
    _version, modinfo = read_buildinfo(go_binary) or ("", "")
    text = (
        modinfo + "dep\tgolang.org/x/net\tv0.0.1\th1:x=\n=>\tgithub.com/fork/net\tv0.0.2\th1:y=\n"
    )
    elf = _pointer_format_elf(b"go1.16.15", SENTINEL_START + text.encode() + SENTINEL_END)
    result = run(GoCataloger(), "/bin/old", elf + b"\0" * 70000, mode=0o100755)
    assert result.warnings == []
    got = _summary(result.packages)
    assert got["stdlib"] == ("1.16.15", "pkg:golang/stdlib@1.16.15")
    assert got["github.com/pkg/errors"][0] == "v0.9.1"
    # A module replacement: the replacement module is what is linked in.
    assert "golang.org/x/net" not in got
    assert got["github.com/fork/net"] == ("v0.0.2", "pkg:golang/github.com/fork/net@v0.0.2")
    fork = next(p for p in result.packages if p.name == "github.com/fork/net")
    assert fork.metadata == {"replaces": "golang.org/x/net@v0.0.1"}


def test_wants_is_cheap_and_skips_non_binaries() -> None:
    cat = GoCataloger()
    assert cat.wants("/usr/bin/app", 0o100755, 5_000_000)
    assert not cat.wants("/usr/bin/app", 0o100644, 5_000_000)  # not executable
    assert not cat.wants("/usr/bin/tiny", 0o100755, 1000)  # too small for a Go binary
    assert not cat.wants("/usr/bin/run.sh", 0o100755, 5_000_000)


def test_non_go_and_corrupt_binaries(go_binary: bytes) -> None:
    cat = GoCataloger()
    not_go = cat.catalog(entry("/bin/sh", Path("/bin/sh").resolve().read_bytes(), 0o100755))
    assert not_go.packages == [] and not_go.warnings == []
    script = cat.catalog(entry("/bin/x", b"#!/bin/sh\n" + b"#" * 70000, 0o100755))
    assert script.packages == [] and script.warnings == []
    off = go_binary.find(MAGIC)
    broken = bytearray(go_binary)
    broken[off + 32] = 0xFF  # the version's varint now claims a huge string
    broken[off + 33 : off + 42] = b"\xff" * 9
    result = cat.catalog(entry("/usr/bin/broken", bytes(broken), 0o100755))
    assert result.packages == []
    assert len(result.warnings) == 1 and result.warnings[0].startswith("/usr/bin/broken: ")
    truncated = cat.catalog(entry("/usr/bin/cut", go_binary[: off + 20], 0o100755))
    assert truncated.packages == [] and truncated.warnings
