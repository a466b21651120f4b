"""npm cataloger on real npm tarballs (npm pack) and lock files."""

from __future__ import annotations

import json
import tarfile

from catalogers_lib import cached, entry, run

from seawall.packages.catalogers.npm import NpmCataloger


def _package_json(tgz_glob: str) -> bytes:
    with tarfile.open(cached("npm", tgz_glob)) as tf:
        member = tf.extractfile("package/package.json")
        assert member is not None
        return member.read()


def test_installed_real_packages_plain_and_scoped() -> None:
    cat = NpmCataloger()
    lodash = run(cat, "/app/node_modules/lodash/package.json", _package_json("lodash-*.tgz"))
    (pkg,) = lodash.packages
    assert (pkg.name, pkg.version, pkg.purl) == ("lodash", "4.17.20", "pkg:npm/lodash@4.17.20")
    assert pkg.licenses == ("MIT",)
    assert pkg.ecosystem == "npm" and pkg.type == "npm" and pkg.cataloger == "npm@1"
    babel_path = "/app/node_modules/a/node_modules/@babel/helper-string-parser/package.json"
    (scoped,) = run(cat, babel_path, _package_json("babel-helper-string-parser-*.tgz")).packages
    assert scoped.name == "@babel/helper-string-parser"
    assert scoped.purl == "pkg:npm/%40babel/helper-string-parser@7.22.5"
    assert scoped.path == babel_path


def test_wants_only_installed_manifests_and_app_lockfiles() -> None:
    cat = NpmCataloger()
    assert cat.wants("/app/node_modules/@s/p/package.json", 0o100644, 10)
    assert not cat.wants("/app/package.json", 0o100644, 10)  # the application itself
    assert not cat.wants("/app/node_modules/lodash/fp/package.json", 0o100644, 10)
    assert not cat.wants("/app/node_modules/@scope/package.json", 0o100644, 10)
    assert cat.wants("/app/package-lock.json", 0o100644, 10)
    assert not cat.wants("/app/node_modules/x/package-lock.json", 0o100644, 10)


def test_lockfile_v3_and_v1() -> None:
    cat = NpmCataloger()
    v3 = {
        "name": "app",
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "app", "version": "1.0.0"},
            "node_modules/lodash": {"version": "4.17.20", "license": "MIT"},
            "node_modules/a/node_modules/@babel/core": {"version": "7.1.0", "dev": True},
            "node_modules/local": {"resolved": "packages/local", "link": True},
            "node_modules/broken": {"resolved": "x"},
        },
    }
    result = run(cat, "/srv/app/package-lock.json", json.dumps(v3).encode())
    got = {(p.name, p.version): p for p in result.packages}
    assert set(got) == {("lodash", "4.17.20"), ("@babel/core", "7.1.0")}
    assert got[("@babel/core", "7.1.0")].metadata == {"lockfile": True, "dev": True}
    assert got[("@babel/core", "7.1.0")].purl == "pkg:npm/%40babel/core@7.1.0"
    assert result.warnings == [
        "/srv/app/package-lock.json: record 'node_modules/broken': no version: skipped"
    ]
    v1 = {
        "lockfileVersion": 1,
        "dependencies": {
            "a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0"}}},
        },
    }
    result = run(cat, "/srv/old/package-lock.json", json.dumps(v1).encode())
    assert sorted((p.name, p.version) for p in result.packages) == [("a", "1.0.0"), ("b", "2.0.0")]


def test_malformed_json_is_a_warning() -> None:
    cat = NpmCataloger()
    path = "/app/node_modules/x/package.json"
    result = cat.catalog(entry(path, b'{"name": "x", "version": '))
    assert result.packages == [] and result.warnings[0].startswith(path)
    result = cat.catalog(entry(path, b'{"name": "x"}'))
    assert result.packages == [] and "no version" in result.warnings[0]
