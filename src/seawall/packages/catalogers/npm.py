"""npm packages: installed `node_modules/**/package.json` and `package-lock.json` v1/v2/v3.

An installed package is a `package.json` directly inside `node_modules/NAME/` or
`node_modules/@SCOPE/NAME/`; other package.json files (the application's own, test
fixtures deeper inside a package) are not packages. A lock file lists what an application
would install; its packages carry `metadata["lockfile"] = True` and `dev` when so marked.
"""

from __future__ import annotations

import json
import stat
from typing import Any

from packageurl import PackageURL

from seawall.model import Package
from seawall.packages.catalogers.base import Cataloger, CatalogResult, FileEntry, MiB, register

_NM = "node_modules"


def npm_purl(name: str, version: str) -> str:
    if name.startswith("@") and "/" in name:
        scope, _, bare = name.partition("/")
        return PackageURL(type="npm", namespace=scope, name=bare, version=version).to_string()
    return PackageURL(type="npm", name=name, version=version).to_string()


def _installed_manifest(path: str) -> bool:
    """True for node_modules/NAME/package.json and node_modules/@SCOPE/NAME/package.json."""
    parts = path.split("/")
    if len(parts) < 3 or parts[-1] != "package.json":
        return False
    if parts[-3] == _NM and not parts[-2].startswith("@") and parts[-2] not in ("", ".bin"):
        return True
    return len(parts) >= 4 and parts[-4] == _NM and parts[-3].startswith("@") and bool(parts[-2])


def _license(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) and value:
        return (value,)
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return (value["type"],)
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(_license(item))
        return tuple(out)
    return ()


def _name_from_lock_key(key: str) -> str:
    """'node_modules/a/node_modules/@s/b' -> '@s/b'."""
    idx = key.rfind(_NM + "/")
    return key[idx + len(_NM) + 1 :] if idx >= 0 else key


def _valid_name(name: str) -> bool:
    if name.startswith("@"):  # @scope/name: both parts (a package URL needs a name)
        scope, _, bare = name.partition("/")
        if len(scope) < 2 or not bare:
            return False
    return bool(name) and len(name) <= 214 and not any(c in name for c in " \t\n\\")


@register
class NpmCataloger(Cataloger):
    name = "npm"
    version = 1
    max_size = 64 * MiB

    def wants(self, path: str, mode: int, size: int) -> bool:
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG) or size > self.max_size:
            return False
        if path.endswith("/package.json"):
            return _installed_manifest(path)
        return path.endswith("/package-lock.json") and f"/{_NM}/" not in path

    def _package(self, entry: FileEntry, name: str, version: str, **meta: Any) -> Package:
        licenses = meta.pop("licenses", ())
        return Package(
            name=name,
            version=version,
            type="npm",
            purl=npm_purl(name, version),
            ecosystem="npm",
            licenses=licenses,
            path=entry.path,
            cataloger=self.key,
            metadata={k: v for k, v in meta.items() if v},
        )

    def catalog(self, entry: FileEntry) -> CatalogResult:
        result = CatalogResult()
        try:
            doc = json.loads(entry.data)
        except (ValueError, RecursionError) as exc:
            result.warnings.append(f"{entry.path}: not valid JSON ({str(exc)[:80]}): skipped")
            return result
        if not isinstance(doc, dict):
            result.warnings.append(f"{entry.path}: not a JSON object: skipped")
            return result
        if entry.path.endswith("/package-lock.json"):
            self._lockfile(entry, doc, result)
        else:
            self._manifest(entry, doc, result)
        return result

    def _manifest(self, entry: FileEntry, doc: dict[str, Any], result: CatalogResult) -> None:
        name, version = doc.get("name"), doc.get("version")
        if not isinstance(name, str) or not _valid_name(name):
            result.warnings.append(f"{entry.path}: package.json without a valid name: skipped")
            return
        if not isinstance(version, str) or not version:
            result.warnings.append(f"{entry.path}: package {name} has no version: skipped")
            return
        licenses = _license(doc.get("license")) or _license(doc.get("licenses"))
        result.packages.append(self._package(entry, name, version, licenses=licenses))

    def _lockfile(self, entry: FileEntry, doc: dict[str, Any], result: CatalogResult) -> None:
        packages = doc.get("packages")
        if isinstance(packages, dict):  # lockfileVersion 2 and 3
            for key, info in packages.items():
                if not key or not isinstance(key, str) or f"{_NM}/" not in key:
                    continue  # "" is the application itself; others are workspace links
                if not isinstance(info, dict) or info.get("link"):
                    continue
                name = info.get("name") or _name_from_lock_key(key)
                version = info.get("version")
                if not isinstance(name, str) or not _valid_name(name):
                    result.warnings.append(f"{entry.path}: record {key!r}: bad name: skipped")
                    continue
                if not isinstance(version, str) or not version:
                    result.warnings.append(f"{entry.path}: record {key!r}: no version: skipped")
                    continue
                result.packages.append(
                    self._package(
                        entry,
                        name,
                        version,
                        licenses=_license(info.get("license")),
                        lockfile=True,
                        dev=bool(info.get("dev")),
                    )
                )
            return
        deps = doc.get("dependencies")
        if isinstance(deps, dict):  # lockfileVersion 1: nested "dependencies"
            self._v1(entry, deps, result, depth=0)
            return
        result.warnings.append(f"{entry.path}: package-lock.json without packages: skipped")

    def _v1(
        self, entry: FileEntry, deps: dict[str, Any], result: CatalogResult, depth: int
    ) -> None:
        if depth > 64:
            result.warnings.append(f"{entry.path}: dependencies nested too deep: truncated")
            return
        for name, info in deps.items():
            if not isinstance(info, dict):
                result.warnings.append(f"{entry.path}: record {name!r}: not an object: skipped")
                continue
            version = info.get("version")
            if not _valid_name(name) or not isinstance(version, str) or not version:
                result.warnings.append(f"{entry.path}: record {name!r}: no version: skipped")
                continue
            if not version.startswith(("file:", "link:", "git", "http")):
                result.packages.append(
                    self._package(entry, name, version, lockfile=True, dev=bool(info.get("dev")))
                )
            nested = info.get("dependencies")
            if isinstance(nested, dict):
                self._v1(entry, nested, result, depth + 1)
