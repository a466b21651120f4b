"""The language/rpm catalogers register themselves and split the files between them."""

from __future__ import annotations

from seawall.packages.catalogers import all_catalogers

MINE = {"rpm", "python", "npm", "java", "golang"}


def test_catalogers_are_registered_once_with_versions() -> None:
    cats = [c for c in all_catalogers() if c.name in MINE]
    assert sorted(c.name for c in cats) == sorted(MINE)
    assert all(c.key == f"{c.name}@{c.version}" and c.version >= 1 for c in cats)


def test_each_file_kind_goes_to_exactly_its_cataloger() -> None:
    cats = [c for c in all_catalogers() if c.name in MINE]
    cases = {
        "/var/lib/rpm/rpmdb.sqlite": ("rpm", 0o100644),
        "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA": ("python", 0o100644),
        "/app/node_modules/lodash/package.json": ("npm", 0o100644),
        "/app/package-lock.json": ("npm", 0o100644),
        "/app/shop.jar": ("java", 0o100644),
        "/usr/local/bin/app": ("golang", 0o100755),
    }
    for path, (want, mode) in cases.items():
        takers = [c.name for c in cats if c.wants(path, mode, 2_000_000)]
        assert takers == [want], path
    assert [c.name for c in cats if c.wants("/etc/passwd", 0o100644, 2_000_000)] == []
