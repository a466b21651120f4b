"""Python cataloger on real wheels (pip download) and on malformed metadata."""

from __future__ import annotations

import zipfile

from catalogers_lib import cached, entry, run

from seawall.packages.catalogers.python import PythonCataloger

SITE = "/usr/lib/python3/dist-packages"


def _metadata(wheel_glob: str) -> tuple[str, bytes]:
    with zipfile.ZipFile(cached("wheels", wheel_glob)) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return name, zf.read(name)


def test_real_wheels_give_name_version_purl_and_license() -> None:
    cat = PythonCataloger()
    got = {}
    for pattern in ("six-*.whl", "PyYAML-*.whl", "zope.interface-*.whl"):
        member, data = _metadata(pattern)
        result = run(cat, f"{SITE}/{member}", data)
        assert result.warnings == []
        (pkg,) = result.packages
        got[pkg.name] = pkg
    assert got["six"].version == "1.16.0"
    assert got["six"].purl == "pkg:pypi/six@1.16.0"
    assert got["six"].licenses == ("MIT",)
    assert got["PyYAML"].purl == "pkg:pypi/pyyaml@6.0.1"
    # PEP 503: dots become dashes in the purl name; the declared name is kept.
    assert got["zope.interface"].purl == "pkg:pypi/zope-interface@6.1"
    for pkg in got.values():
        assert pkg.type == "pypi"
        assert pkg.ecosystem == "PyPI"
        assert pkg.cataloger == "python@1"
        assert pkg.path.startswith(SITE)


def test_egg_info_pkg_info_and_egg_info_file() -> None:
    cat = PythonCataloger()
    pkg_info = b"Metadata-Version: 1.1\nName: Old_Pkg\nVersion: 0.9\nLicense: BSD\n\nbody\n"
    for path in (
        "/usr/lib/python3/dist-packages/Old_Pkg-0.9.egg-info/PKG-INFO",
        "/usr/lib/python3/dist-packages/Old_Pkg-0.9.egg-info",
    ):
        (pkg,) = run(cat, path, pkg_info).packages
        assert (pkg.name, pkg.version, pkg.licenses) == ("Old_Pkg", "0.9", ("BSD",))
        assert pkg.purl == "pkg:pypi/old-pkg@0.9"


def test_wants_only_metadata_files() -> None:
    cat = PythonCataloger()
    assert not cat.wants("/app/six.py", 0o100644, 100)
    assert not cat.wants("/x/foo.dist-info/RECORD", 0o100644, 100)
    assert not cat.wants("/x/foo.egg-info", 0o040755, 0)  # a directory


def test_missing_version_is_a_warning_naming_the_file() -> None:
    cat = PythonCataloger()
    path = "/site/broken-1.dist-info/METADATA"
    result = cat.catalog(entry(path, b"Metadata-Version: 2.1\nName: broken\n"))
    assert result.packages == []
    assert len(result.warnings) == 1
    assert path in result.warnings[0] and "Version" in result.warnings[0]
    garbage = cat.catalog(entry(path, b"\xff\xfe\x00garbage"))
    assert garbage.packages == [] and garbage.warnings
