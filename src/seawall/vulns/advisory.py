"""Advisory records: what the importers store and the matcher reads.

An advisory (one vulnerability id from one source) affects one or more packages; each
(advisory, ecosystem, package name) is an AffectedPackage row in the database, indexed by
(ecosystem, name). Version ranges keep OSV's event model so every source maps onto it:
Debian's fixed_version becomes [introduced 0, fixed X], Alpine secdb likewise.

The records are immutable and hold only strings, numbers and tuples of records, so they
can never be part of a reference cycle: `gc=False` keeps the garbage collector from
walking the tens of thousands of them a scan decodes.
"""

from __future__ import annotations

import msgspec

from seawall.model import Severity


class VersionEvent(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """One OSV range event: kind is introduced | fixed | last_affected | limit."""

    kind: str
    version: str


class AffectedRange(msgspec.Struct, frozen=True, gc=False):
    """An OSV range: type ECOSYSTEM or SEMVER (GIT ranges are counted and skipped)."""

    type: str
    events: tuple[VersionEvent, ...]


class AffectedPackage(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One package an advisory affects, in one ecosystem.

    ecosystem: OSV ecosystem name, with the release where the source has one
               ("Debian:12", "Alpine:v3.19", "PyPI", "Maven", "Go", "npm")
    name: the package name as the ecosystem spells it (distro: the SOURCE package name)
    status: affected | unfixed (no fix yet) | not-affected (e.g. Debian fixed_version "0")
    severity: a per-package severity where the source gives one (Debian urgency), else None
    """

    advisory_id: str
    ecosystem: str
    name: str
    ranges: tuple[AffectedRange, ...] = ()
    versions: tuple[str, ...] = ()
    status: str = "affected"
    severity: Severity | None = None
    purl: str | None = None


class Advisory(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One vulnerability record from one source.

    source: osv | debian-tracker | alpine-secdb (plus the feed, e.g. "osv:PyPI")
    aliases: other ids for the same vulnerability (CVE, GHSA, ...), including OSV `upstream`
    """

    id: str
    source: str
    aliases: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    summary: str = ""
    severity: Severity = Severity.UNKNOWN
    cvss_score: float | None = None
    cvss_vector: str | None = None
    references: tuple[str, ...] = ()
    published: str | None = None
    modified: str | None = None
    withdrawn: str | None = None


def id_rank(vuln_id: str) -> tuple[int, str]:
    """How a vulnerability id ranks as a finding's name: CVE, then GHSA, then any."""
    if vuln_id.startswith("CVE-"):
        return (0, vuln_id)
    if vuln_id.startswith("GHSA-"):
        return (1, vuln_id)
    return (2, vuln_id)


def primary_id(ids: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """The id a finding is named by (lowest CVE, else GHSA, else any) and the others, sorted."""
    cves = [i for i in ids if i.startswith("CVE-")]
    primary = min(cves) if cves else min(ids, key=id_rank)
    return primary, tuple(sorted(ids - {primary}))


def severity_from_score(score: float) -> Severity:
    """CVSS (v3/v4) qualitative rating of a base score."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO
