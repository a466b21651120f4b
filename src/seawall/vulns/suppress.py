"""Suppression: `.seawallignore` entries and OpenVEX / CycloneDX VEX statements.

A suppressed finding is kept, with `Finding.suppressed` saying why, so reports can count
and list it; only unsuppressed findings decide `--fail-on`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from seawall.errors import InputError
from seawall.model import Finding, Suppression

if TYPE_CHECKING:
    from packageurl import PackageURL

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
# VEX states under which a vulnerability does not need action.
OPENVEX_SUPPRESSING = frozenset({"not_affected", "fixed"})
CDX_SUPPRESSING = frozenset(
    {"not_affected", "false_positive", "resolved", "resolved_with_pedigree"}
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One suppression: vulnerability ids, optionally narrowed to packages."""

    ids: frozenset[str]
    reason: str
    kind: str  # ignore-file | vex
    source: str
    packages: frozenset[str] = frozenset()  # package names
    purls: tuple[PackageURL, ...] = ()
    expires: str | None = None
    any_package: bool = True

    def applies(self, finding: Finding) -> bool:
        ids = {finding.rule, *finding.details.get("aliases", ())}
        if not ids & self.ids:
            return False
        if self.any_package:
            return True
        package = finding.details.get("package", {})
        if package.get("name") in self.packages:
            return True
        purl = package.get("purl")
        return bool(purl) and any(_purl_covers(p, purl) for p in self.purls)

    def suppression(self) -> Suppression:
        return Suppression(
            kind=self.kind, reason=self.reason, source=self.source, expires=self.expires
        )


@dataclass(slots=True)
class Suppressions:
    """Rules loaded from ignore files and VEX documents, plus what was skipped and why."""

    rules: list[Rule] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _purl_covers(rule: PackageURL, purl_text: str) -> bool:
    """A statement's purl covers a package purl when type/namespace/name agree and, if the
    statement names a version, the versions agree (qualifiers are ignored)."""
    from packageurl import PackageURL

    try:
        purl = PackageURL.from_string(purl_text)
    except ValueError:
        return False
    if (rule.type, (rule.namespace or "").lower(), rule.name.lower()) != (
        purl.type,
        (purl.namespace or "").lower(),
        purl.name.lower(),
    ):
        return False
    return not rule.version or rule.version == purl.version


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise InputError(f"{path}: {size} bytes is larger than the {MAX_DOCUMENT_BYTES} limit")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{where}: expires {value!r} is not a date (YYYY-MM-DD)") from None


def load_ignore_file(path: Path, *, today: dt.date | None = None) -> Suppressions:
    """Read a `.seawallignore` YAML file.

    Either a list of entries or a mapping with an `ignore:` list; each entry has `id` or
    `ids`, and optionally `package` (name or list of names), `purl`, `expires`, `reason`.
    Expired entries are not applied; each one produces a warning.
    """
    import yaml
    from packageurl import PackageURL

    from seawall.inputs import load_yaml

    today = today or dt.datetime.now(dt.UTC).date()
    raw = _read(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid YAML (not UTF-8 at byte {exc.start})") from None
    try:
        # bounded alias expansion ("reason: *bomb" was a hang) and nesting
        doc = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            problem = getattr(exc, "problem", None)
            detail = f" ({' '.join(str(problem).split())})" if problem else ""
            raise InputError(f"{path} line {mark.line + 1}: not valid YAML{detail}") from None
        raise InputError(f"{path}: not valid YAML ({exc})") from None
    if doc is None:
        return Suppressions()
    entries = doc.get("ignore", doc.get("vulnerabilities")) if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise InputError(f"{path}: expected a list of entries (or an 'ignore:' list)")
    result = Suppressions()
    for index, entry in enumerate(entries, start=1):
        where = f"{path} entry {index}"
        if isinstance(entry, str):
            entry = {"id": entry}
        if not isinstance(entry, dict):
            raise InputError(f"{where}: expected a mapping with 'id'")
        ids = entry.get("ids", entry.get("id"))
        ids_list = [ids] if isinstance(ids, str) else ids
        if (
            not isinstance(ids_list, list)
            or not ids_list
            or not all(isinstance(i, str) for i in ids_list)
        ):
            raise InputError(f"{where}: 'id' or 'ids' must name at least one vulnerability")
        packages = entry.get("package", entry.get("packages", []))
        names = [packages] if isinstance(packages, str) else packages
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InputError(f"{where}: 'package' must be a name or a list of names")
        purls: list[PackageURL] = []
        if entry.get("purl") is not None:
            if not isinstance(entry["purl"], str):
                raise InputError(f"{where}: 'purl' must be a string")
            try:
                purls.append(PackageURL.from_string(entry["purl"]))
            except ValueError as exc:
                raise InputError(f"{where}: bad purl: {exc}") from None
        expires: str | None = None
        if entry.get("expires") is not None:
            expiry = _date(entry["expires"], where)
            expires = expiry.isoformat()
            if expiry < today:
                result.warnings.append(
                    f"{where}: ignore of {', '.join(ids_list)} expired on {expires}; "
                    "it no longer applies"
                )
                continue
        reason = entry.get("reason") or "listed in " + path.name
        if not isinstance(reason, str | int | float):
            raise InputError(f"{where}: 'reason' must be text")
        reason = str(reason)
        result.rules.append(
            Rule(
                ids=frozenset(ids_list),
                reason=reason,
                kind="ignore-file",
                source=str(path),
                packages=frozenset(names),
                purls=tuple(purls),
                expires=expires,
                any_package=not names and not purls,
            )
        )
    return result


def _statement_purls(items: Iterable[Any]) -> tuple[list[PackageURL], bool]:
    """Package purls named by VEX products/subcomponents; True when some product is not
    a package (an image or other id), which then covers every package in it."""
    from packageurl import PackageURL

    purls: list[PackageURL] = []
    other = False
    for item in items:
        ident = item.get("@id") if isinstance(item, dict) else item
        idents = [ident]
        if isinstance(item, dict):
            ident_map = item.get("identifiers") or {}
            if isinstance(ident_map, dict) and ident_map.get("purl"):
                idents.append(ident_map["purl"])
        parsed = False
        for text in idents:
            if isinstance(text, str) and text.startswith("pkg:") and not text.startswith("pkg:oci"):
                try:
                    purls.append(PackageURL.from_string(text))
                    parsed = True
                except ValueError:
                    continue
        if not parsed:
            other = True
    return purls, other


def _list(value: Any, where: str, what: str) -> list[Any]:
    """A list-valued field (absent: empty), or InputError naming it."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{where}: '{what}' must be a list")
    return value


def _text(value: Any) -> str:
    """A free-text field taken into a reason; anything but a string is left out."""
    return value if isinstance(value, str) else ""


def _openvex_rules(doc: dict[str, Any], path: Path) -> list[Rule]:
    statements = doc.get("statements")
    if not isinstance(statements, list):
        raise InputError(f"{path}: OpenVEX document has no 'statements' list")
    rules = []
    for index, st in enumerate(statements, start=1):
        if not isinstance(st, dict):
            raise InputError(f"{path} statement {index}: expected an object")
        where = f"{path} statement {index}"
        status = st.get("status")
        if not isinstance(status, str):
            raise InputError(f"{where}: 'status' must be a string")
        if status not in OPENVEX_SUPPRESSING:
            continue
        vuln = st.get("vulnerability")
        ids: set[str] = set()
        if isinstance(vuln, str):
            ids.add(vuln)
        elif isinstance(vuln, dict):
            if isinstance(vuln.get("name"), str):
                ids.add(vuln["name"])
            ids.update(
                a for a in _list(vuln.get("aliases"), where, "aliases") if isinstance(a, str)
            )
        if not ids:
            raise InputError(f"{where}: no vulnerability name")
        products = _list(st.get("products"), where, "products")
        subcomponents = [
            sub
            for prod in products
            if isinstance(prod, dict)
            for sub in _list(prod.get("subcomponents"), where, "subcomponents")
        ]
        # subcomponents (packages in an image) narrow a statement; a product that is
        # not a package purl (the image itself) covers every package in it
        purls, _other = _statement_purls(subcomponents or products)
        detail = _text(st.get("justification")) or _text(st.get("status_notes"))
        impact = _text(st.get("impact_statement"))
        reason = (
            f"{status}" + (f": {detail}" if detail else "") + (f" ({impact})" if impact else "")
        )
        rules.append(
            Rule(
                ids=frozenset(ids),
                reason=reason,
                kind="vex",
                source=str(path),
                purls=tuple(purls),
                any_package=not purls,
            )
        )
    return rules


def _cyclonedx_rules(doc: dict[str, Any], path: Path) -> list[Rule]:
    refs: dict[str, str] = {}
    pending = [doc.get("components")]
    while pending:  # nested components, without recursion (hostile depth)
        components = pending.pop()
        if not isinstance(components, list):
            continue
        for comp in components:
            if isinstance(comp, dict):
                if isinstance(comp.get("bom-ref"), str) and isinstance(comp.get("purl"), str):
                    refs[comp["bom-ref"]] = comp["purl"]
                pending.append(comp.get("components"))
    rules = []
    vulns = _list(doc.get("vulnerabilities"), str(path), "vulnerabilities")
    for index, vuln in enumerate(vulns, start=1):
        where = f"{path} vulnerability {index}"
        if not isinstance(vuln, dict) or not isinstance(vuln.get("id"), str):
            raise InputError(f"{where}: no 'id'")
        analysis = vuln.get("analysis") or {}
        if not isinstance(analysis, dict):
            raise InputError(f"{where}: 'analysis' must be an object")
        state = analysis.get("state")
        if not isinstance(state, str) or state not in CDX_SUPPRESSING:
            continue
        ids = {vuln["id"]}
        ids.update(
            r["id"]
            for r in _list(vuln.get("references"), where, "references")
            if isinstance(r, dict) and isinstance(r.get("id"), str) and r["id"]
        )
        targets = []
        for affect in _list(vuln.get("affects"), where, "affects"):
            ref = affect.get("ref") if isinstance(affect, dict) else None
            if isinstance(ref, str):
                # a BOM-Link (urn:cdx:...#ref) or a local bom-ref
                local = ref.split("#", 1)[1] if ref.startswith("urn:cdx:") and "#" in ref else ref
                targets.append(refs.get(local, local))
        purls, _other = _statement_purls(targets)
        detail = _text(analysis.get("justification"))
        note = _text(analysis.get("detail"))
        reason = f"{state}" + (f": {detail}" if detail else "") + (f" ({note})" if note else "")
        rules.append(
            Rule(
                ids=frozenset(ids),
                reason=reason,
                kind="vex",
                source=str(path),
                purls=tuple(purls),
                any_package=not purls,
            )
        )
    return rules


def load_vex(path: Path) -> Suppressions:
    """Read an OpenVEX or CycloneDX VEX (JSON) document."""
    try:
        doc = msgspec.json.decode(_read(path))
    except msgspec.DecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: expected a JSON object (OpenVEX or CycloneDX)")
    context = str(doc.get("@context", ""))
    if "openvex" in context or "statements" in doc:
        return Suppressions(rules=_openvex_rules(doc, path))
    if doc.get("bomFormat") == "CycloneDX":
        return Suppressions(rules=_cyclonedx_rules(doc, path))
    raise InputError(f"{path}: neither an OpenVEX nor a CycloneDX VEX document")


def apply_suppressions(findings: Sequence[Finding], suppressions: Suppressions) -> list[Finding]:
    """Mark findings a rule covers as suppressed (first matching rule wins); keep all."""
    if not suppressions.rules:
        return list(findings)
    out = []
    for finding in findings:
        if finding.suppressed is None:
            for rule in suppressions.rules:
                if rule.applies(finding):
                    finding = msgspec.structs.replace(finding, suppressed=rule.suppression())
                    break
        out.append(finding)
    return out


def merge(*parts: Suppressions) -> Suppressions:
    out = Suppressions()
    for part in parts:
        out.rules.extend(part.rules)
        out.warnings.extend(part.warnings)
    return out


__all__ = [
    "Rule",
    "Suppressions",
    "apply_suppressions",
    "load_ignore_file",
    "load_vex",
    "merge",
]
