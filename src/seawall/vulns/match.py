"""Matching: installed packages against the advisory database, into findings.

The matcher asks the database once per ecosystem for every name it needs (binary and
source names for OS packages), evaluates OSV ranges with the ecosystem's version order,
and only then loads the advisories that matched. Findings for the same vulnerability on
the same package (one advisory per source, linked by aliases) are merged into one.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Protocol, cast

import msgspec

from seawall._gc import gc_paused
from seawall.errors import InputError
from seawall.model import Finding, Layer, Location, Package, Severity, Task
from seawall.vulns.advisory import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    id_rank,
    primary_id,
    severity_from_score,
)
from seawall.vulns.intervals import NOT_AFFECTED, PYTHON, ByteKey, row_fixed
from seawall.vulns.versions.bytekey import byte_key_func

VersionKey = Callable[[str], Any]

# Package types whose files belong to the operating system's package manager.
OS_TYPES = frozenset({"deb", "apk", "rpm"})
# Ecosystems of distribution advisories (the part before ":").
DISTRO_ECOSYSTEMS = frozenset(
    {
        "Debian",
        "Ubuntu",
        "Alpine",
        "Red Hat",
        "Rocky Linux",
        "AlmaLinux",
        "Wolfi",
        "Chainguard",
        "SUSE",
        "openSUSE",
    }
)
_UNBOUNDED = "*"
_RANK_OF_VALUE = {severity.value: severity.rank for severity in Severity}
_EVALUATED = frozenset({"ECOSYSTEM", "SEMVER"})
_NO_VERSION = frozenset({"", "(devel)", "unknown"})
_SEVERITIES: dict[str | None, Severity | None] = {None: None, **{s.value: s for s in Severity}}
_HIT_ORDER = itemgetter(0, 1, 4)  # match_ranges rows: query, row id, order
_NO_FIX = "No fixed version is available yet; mitigate or replace the package."
# a cluster of one hit is built by _single_finding from a per-advisory part shared by all
# packages (most findings); _finding is the general builder and must give the same finding
# (tests/vulns/test_match_sql.py turns this off and compares)
_ONE_HIT_FAST_PATH = True
_NO_KEY: Any = object()  # a byte-key cache: ecosystem not looked up yet


class AdvisorySource(Protocol):
    """What the matcher needs from the advisory database (seawall.vulns.db.AdvisoryDB)."""

    def lookup(
        self, ecosystem: str, names: Iterable[str]
    ) -> Mapping[str, Sequence[AffectedPackage]]: ...

    def advisories(self, ids: Iterable[str]) -> Any: ...

    def kev_ids(self) -> Any: ...


def default_version_key(ecosystem: str) -> VersionKey:
    """The ecosystem's version order from seawall.vulns.versions, as a sort key."""
    versions = importlib.import_module("seawall.vulns.versions")
    key: VersionKey = versions.sort_key(ecosystem)
    return key


def _cached(key: VersionKey) -> VersionKey:
    # versions repeat across packages and advisories: parse each once per scan
    return functools.lru_cache(maxsize=131072)(key)


def _ecosystem_base(ecosystem: str) -> str:
    return ecosystem.split(":", 1)[0]


def lookup_ecosystems(ecosystem: str) -> tuple[str, ...]:
    """Database ecosystem keys to ask for a package's ecosystem.

    The database normalises ecosystems itself ("Debian:12.5" and "Debian:12" are one
    key), so this is the package's own ecosystem.
    """
    return (ecosystem,)


_PEP503 = re.compile(r"[-_.]+")


def lookup_names(package: Package) -> tuple[str, ...]:
    """The names to look a package up by: binary name, source name, normalised forms."""
    name = package.name
    ptype = package.type
    if ptype == "pypi":
        normal = _PEP503.sub("-", name) if "_" in name or "." in name or "--" in name else name
        normal = normal.lower()
        return (name,) if normal == name else (name, normal)
    names = [name]
    if package.source_name and ptype in OS_TYPES:
        names.append(package.source_name)
    elif ptype in {"npm", "golang", "cargo", "gem", "composer"}:
        names.append(name.lower())
    return tuple(dict.fromkeys(names))


def _installed(package: Package, *, source: bool) -> str:
    version = package.source_version if source and package.source_version else package.version
    if package.epoch and package.type in {"deb", "rpm"} and ":" not in version:
        version = f"{package.epoch}:{version}"
    if package.type == "golang":
        version = version.removeprefix("v")  # Go advisories spell versions without "v"
    return version


@dataclass(frozen=True, slots=True)
class RangeHit:
    """An affected version range that contains the installed version."""

    fixed: str | None


def evaluate_range(version: str, rng: AffectedRange, key: VersionKey) -> RangeHit | None:
    """OSV semantics: is `version` inside this range, and which version fixes it?

    Events may come in any order; they are sorted by version ("0" lowest). Intervals open
    at `introduced` and close at `fixed` (exclusive) or `last_affected` (inclusive); a
    `limit` bounds the whole range from above (exclusive).
    """
    if rng.type not in _EVALUATED:
        return None
    mine = key(version)
    events = rng.events
    if len(events) == 2 and events[0].kind == "introduced" and events[1].kind == "fixed":
        # the common shape, decided without sorting
        low, high = events[0].version, events[1].version
        if (low == "0" or not mine < key(low)) and mine < key(high):
            return RangeHit(fixed=high)
        return None
    points: list[tuple[tuple[int, Any], Any, str, str]] = []
    for index, event in enumerate(rng.events):
        if event.kind == "limit":
            if event.version != _UNBOUNDED and not mine < key(event.version):
                return None
        elif event.kind == "introduced" and event.version == "0":
            points.append(((0, index), _LOWEST, event.kind, event.version))
        else:
            parsed = key(event.version)
            points.append(((1, parsed), parsed, event.kind, event.version))
    if len(points) > 2:
        points.sort(key=lambda item: item[0])
    opened: Any = None
    for _order, boundary_key, kind, boundary in points:
        if kind == "introduced":
            if opened is None:
                opened = boundary_key
            continue
        if opened is None:
            continue
        inside_low = opened is _LOWEST or not mine < opened
        if kind == "fixed":
            if inside_low and mine < boundary_key:
                return RangeHit(fixed=boundary)
        elif kind == "last_affected" and inside_low and not boundary_key < mine:
            return RangeHit(fixed=None)
        opened = None
    if opened is not None and (opened is _LOWEST or not mine < opened):
        return RangeHit(fixed=None)
    return None


_LOWEST: Any = object()  # OSV's introduced "0": below every version


def evaluate_affected(version: str, affected: AffectedPackage, key: VersionKey) -> RangeHit | None:
    """Does this advisory entry affect `version`? `None` when it does not."""
    if affected.status == "not-affected":
        return None
    if version in affected.versions:
        hit: RangeHit | None = RangeHit(fixed=None)
        # an explicit list says affected; a range may still name the fix
        for rng in affected.ranges:
            found = evaluate_range(version, rng, key)
            if found is not None and found.fixed:
                return found
        return hit
    usable = [r for r in affected.ranges if r.type in {"ECOSYSTEM", "SEMVER"}]
    if not usable:
        # OSV: no ranges and no versions means every version; a versions list that
        # does not name this version means not affected; GIT-only ranges: not decidable
        if affected.versions or affected.ranges:
            return None
        return RangeHit(fixed=None)
    best: RangeHit | None = None
    for rng in usable:
        found = evaluate_range(version, rng, key)
        if found is not None and (best is None or (found.fixed and not best.fixed)):
            best = found
    return best


def severity_from_cvss(score: float | None) -> Severity | None:
    """CVSS qualitative bands (None without a score)."""
    return None if score is None else severity_from_score(score)


class _Hit(msgspec.Struct, gc=False):
    # a Struct: built positionally in C, ~3x cheaper than a slots dataclass (one per hit);
    # never part of a reference cycle, so never tracked by the cyclic GC
    package: Package
    advisory_id: str
    ecosystem: str  # the advisory row's ecosystem
    severity: Severity | None  # the row's own severity (Debian urgency)
    fixed: str | None
    installed: str
    matched_by: str  # binary | source


class _Group(msgspec.Struct, gc=False):
    package: Package
    hits: list[_Hit] = msgspec.field(default_factory=list)
    ids: set[str] = msgspec.field(default_factory=set)


_id_rank = id_rank


def _advisory_map(raw: Any) -> dict[str, Advisory]:
    if isinstance(raw, Mapping):
        return dict(raw)
    return {adv.id: adv for adv in raw}


@dataclass(slots=True)
class MatchStats:
    """Counts a report shows next to the findings."""

    packages: int = 0
    os_owned_skipped: int = 0
    not_affected: int = 0
    unversioned: int = 0  # no comparable version ("", Go's "(devel)")
    incomparable: int = 0  # advisory rows whose versions could not be ordered


# Where distribution packages put language packages (pip and npm never install there).
_DISTRO_ONLY_DIRS = ("/usr/lib/python3/dist-packages/", "/usr/share/java/", "/usr/share/nodejs/")
_SYSTEM_SITE = re.compile(r"^/usr/lib(?:64)?/python3\.\d+/site-packages/")
_DISTRO_PY_PREFIXES = ("py3-", "python3-", "python-")


def _os_owned(package: Package, owned_paths: frozenset[str], os_names: frozenset[str]) -> bool:
    """Is this language package a file of an OS package (so distro advisories decide)?

    Known when a cataloger says so (`metadata["os_owned"]`) or an OS package lists the
    file; otherwise inferred from where distributions install language packages.
    """
    if package.type in OS_TYPES or not os_names:
        return False
    if package.metadata.get("os_owned"):
        return True
    path = package.path
    if not path:
        return False
    if path in owned_paths or path.split("!", 1)[0] in owned_paths:
        return True
    if path.startswith(_DISTRO_ONLY_DIRS):
        return True
    if package.type == "pypi" and _SYSTEM_SITE.match(path):
        name = _PEP503.sub("-", package.name).lower()
        return any(prefix + name in os_names for prefix in _DISTRO_PY_PREFIXES)
    return False


def _owned_paths(packages: Sequence[Package]) -> tuple[frozenset[str], frozenset[str]]:
    paths: set[str] = set()
    names: set[str] = set()
    for package in packages:
        if package.type in OS_TYPES:
            names.add(package.name.lower())
            files = package.metadata.get("files")
            if isinstance(files, list | tuple):
                paths.update(f for f in files if isinstance(f, str))
    return frozenset(paths), frozenset(names)


class KeyedAdvisorySource(AdvisorySource, Protocol):
    """A source that evaluates ranges itself (seawall.vulns.db.AdvisoryDB when `keyed`)."""

    keyed: bool

    def match_ranges(
        self, ecosystem: str, queries: Sequence[tuple[int, str, bytes, str]]
    ) -> list[tuple[int, int, int, str | None, int, str, str, str | None]]: ...

    def affected_rows(self, ids: Iterable[int]) -> Mapping[int, AffectedPackage]: ...


Candidate = tuple[Package, tuple[str, ...], tuple[str, ...]]
Results = dict[int, tuple[list[_Hit], set[str]]]


def _evaluate_row(
    affected: AffectedPackage, installed: str, key: VersionKey, stats: MatchStats
) -> tuple[bool, str | None]:
    """(affected?, fixed) of one row by Python evaluation; incomparable rows do not match."""
    try:
        ranges = affected.ranges
        shape = 0  # 2: [introduced, fixed], 1: [introduced], 0: other
        if len(ranges) == 1 and ranges[0].type in _EVALUATED:
            events = ranges[0].events
            if len(events) == 2:
                if events[0].kind == "introduced" and events[1].kind == "fixed":
                    shape = 2
            elif len(events) == 1 and events[0].kind == "introduced":
                shape = 1
        if shape:
            # the common shapes, decided as evaluate_affected would
            # (same comparisons, same order) without building a hit
            mine = key(installed)
            low = events[0].version
            upper: str | None = None
            if shape == 2:
                upper = high = events[1].version
                inside = (low == "0" or not mine < key(low)) and mine < key(high)
            else:
                inside = low == "0" or not mine < key(low)
            if inside:
                return True, upper
            if affected.versions and installed in affected.versions:
                return True, None
            return False, None
        hit = evaluate_affected(installed, affected, key)
        if hit is None:
            return False, None
        return True, hit.fixed
    except (TypeError, ValueError):
        stats.incomparable += 1
        return False, None


def _python_hits(
    candidates: Iterable[tuple[int, Candidate]],
    db: AdvisorySource,
    key_of: Callable[[str], VersionKey],
    stats: MatchStats,
    results: Results,
) -> None:
    """Look rows up by name and evaluate their ranges in Python (any advisory source)."""
    todo = list(candidates)
    if not todo:
        return
    wanted: dict[str, set[str]] = {}
    for _index, (_package, ecosystems, names) in todo:
        for eco in ecosystems:
            wanted.setdefault(eco, set()).update(names)
    found: dict[str, Mapping[str, Sequence[AffectedPackage]]] = {
        eco: db.lookup(eco, sorted(names)) for eco, names in wanted.items()
    }
    for index, (package, ecosystems, names) in todo:
        key = key_of(package.ecosystem)
        hits: list[_Hit] = []
        not_affected: set[str] = set()
        seen: set[int] = set()  # the same row found under two names
        walked: set[int] = set()  # the same row list returned for two spellings
        is_os = package.type in OS_TYPES
        for eco in ecosystems:
            rows = found.get(eco, {})
            for name in names:
                listed = rows.get(name)
                if not listed:
                    continue
                if id(listed) in walked:
                    continue  # every row in it is already in `seen`
                walked.add(id(listed))
                is_source = is_os and name != package.name
                installed = _installed(package, source=is_source)
                matched_by = "source" if is_source else "binary"
                for affected in listed:
                    row_id = id(affected)
                    if row_id in seen:
                        continue
                    seen.add(row_id)
                    if affected.status == "not-affected":
                        not_affected.add(affected.advisory_id)
                        continue
                    inside, fixed = _evaluate_row(affected, installed, key, stats)
                    if inside:
                        hits.append(
                            _Hit(package, affected.advisory_id, affected.ecosystem,
                                 affected.severity, fixed, installed, matched_by)
                        )  # fmt: skip
        if hits or not_affected:
            results[index] = (hits, not_affected)


def _keyed_hits(
    candidates: Sequence[Candidate],
    db: KeyedAdvisorySource,
    key_of: Callable[[str], VersionKey],
    stats: MatchStats,
    results: Results,
) -> list[tuple[int, Candidate]]:
    """Let SQLite pick the rows whose intervals hold each installed version; returns the
    candidates it cannot decide (no byte key for the scheme or the version)."""
    rest: list[tuple[int, Candidate]] = []
    # ecosystem -> queries; query number -> (package index, installed, matched_by, the
    # package has other queries)
    queries: dict[str, list[tuple[int, str, bytes, str]]] = {}
    asked: list[tuple[int, str, str, bool]] = []
    byte_keys: dict[str, ByteKey | None] = {}
    # most packages of an SBOM have no advisory at all: one index probe per name finds
    # them, so their versions are never parsed nor their names joined
    present = _present_names(candidates, db)
    for index, candidate in enumerate(candidates):
        package, ecosystems, names = candidate
        if present is not None:
            if len(ecosystems) == 1 and len(names) == 1:
                if names[0] not in present[ecosystems[0]]:
                    continue
            elif not any(name in present[eco] for eco in ecosystems for name in names):
                continue
        ecosystem = package.ecosystem
        byte_key = byte_keys.get(ecosystem, _NO_KEY)
        if byte_key is _NO_KEY:
            byte_key = byte_keys[ecosystem] = byte_key_func(ecosystem)
        if byte_key is None:
            rest.append((index, candidate))
            continue
        if len(names) == 1 and len(ecosystems) == 1 and not package.epoch:
            # one name, the binary version (most language packages)
            installed = package.version
            if package.type == "golang":
                installed = installed.removeprefix("v")
            version_key = byte_key(installed)
            if version_key is None:
                rest.append((index, candidate))
                continue
            batch = queries.get(ecosystem)
            if batch is None:
                batch = queries[ecosystem] = []
            batch.append((len(asked), names[0], version_key, installed))
            asked.append((index, installed, "binary", False))
            continue
        is_os = package.type in OS_TYPES
        mine: list[tuple[str, str, bytes, str]] = []
        for name in names:
            is_source = is_os and name != package.name
            installed = _installed(package, source=is_source)
            version_key = byte_key(installed)
            if version_key is None:
                break
            mine.append((name, installed, version_key, "source" if is_source else "binary"))
        else:
            several = len(mine) * len(ecosystems) > 1
            for eco in ecosystems:
                batch = queries.setdefault(eco, [])
                for name, installed, version_key, matched_by in mine:
                    batch.append((len(asked), name, version_key, installed))
                    asked.append((index, installed, matched_by, several))
            continue
        rest.append((index, candidate))
    rows = [row for eco, batch in queries.items() for row in db.match_ranges(eco, batch)]
    if len(queries) > 1:
        rows.sort(key=_HIT_ORDER)
    evaluate = [row[1] for row in rows if row[2] & PYTHON]
    decoded = db.affected_rows(evaluate) if evaluate else {}
    try:
        _collect_hits(rows, asked, candidates, decoded, key_of, stats, results)
    except KeyError as exc:  # a range row of a file someone else built
        raise InputError(
            f"{getattr(db, 'path', 'the advisory database')} is a damaged advisory database "
            f"(a range row names severity {exc} or a missing row): rebuild it with "
            "`seawall db update`"
        ) from None
    for index in [i for i, (hits, ids) in results.items() if not hits and not ids]:
        del results[index]
    return rest


def _present_names(
    candidates: Sequence[Candidate], db: KeyedAdvisorySource
) -> dict[str, set[str]] | None:
    """Per lookup ecosystem, the candidates' names that have any advisory row (None when
    the source cannot tell)."""
    probe = getattr(db, "present_names", None)
    if probe is None:
        return None
    wanted: dict[str, set[str]] = {}
    for _package, ecosystems, names in candidates:
        for eco in ecosystems:
            found = wanted.get(eco)
            if found is None:
                found = wanted[eco] = set()
            found.update(names)
    return {eco: probe(eco, names) for eco, names in wanted.items()}


def _collect_hits(
    rows: list[tuple[int, int, int, str | None, int, str, str, str | None]],
    asked: list[tuple[int, str, str, bool]],
    candidates: Sequence[Candidate],
    decoded: Mapping[int, AffectedPackage],
    key_of: Callable[[str], VersionKey],
    stats: MatchStats,
    results: Results,
) -> None:
    """Turn match_ranges' rows into hits (`_keyed_hits`)."""
    seen: set[tuple[int, int]] = set()  # (package, row): the first name that found it wins
    count = len(rows)
    position = 0
    while position < count:
        query, row_id, flags, fixed, _order, advisory_id, ecosystem, severity = rows[position]
        end = position + 1
        while end < count and rows[end][1] == row_id and rows[end][0] == query:
            end += 1
        index, installed, matched_by, several = asked[query]
        if several:
            if (index, row_id) in seen:
                position = end
                continue
            seen.add((index, row_id))
        entry = results.get(index)
        if entry is None:
            entry = results[index] = ([], set())
        if flags & NOT_AFFECTED:
            entry[1].add(advisory_id)
        else:
            if flags & PYTHON:
                affected = decoded[row_id]
                package = candidates[index][0]
                inside, fixed = _evaluate_row(affected, installed, key_of(package.ecosystem), stats)
            else:
                inside = True
                if end - position > 1:
                    fixed = row_fixed([(row[4], row[3]) for row in rows[position:end]])
            if inside:
                entry[0].append(
                    _Hit(candidates[index][0], advisory_id, ecosystem,
                         _SEVERITIES[severity], fixed, installed, matched_by)
                )  # fmt: skip
        position = end


def match_packages(
    packages: Sequence[Package],
    db: AdvisorySource,
    *,
    asset: str,
    version_key: Callable[[str], VersionKey] = default_version_key,
    stats: MatchStats | None = None,
) -> list[Finding]:
    """Match packages against the advisory database; one finding per CVE per package.

    OS packages are looked up by binary and by source name (distro advisories are keyed
    by source package). Language packages whose files an OS package owns are not matched
    against language advisories: the distro's advisories (with its backports) decide.
    """
    # the matcher allocates many small, acyclic objects: cyclic GC passes only cost time;
    # the findings live on (keep=True: no young-generation pass over them when it ends)
    with gc_paused(keep=True):
        return _match_packages(packages, db, asset=asset, version_key=version_key, stats=stats)


def _match_packages(
    packages: Sequence[Package],
    db: AdvisorySource,
    *,
    asset: str,
    version_key: Callable[[str], VersionKey] = default_version_key,
    stats: MatchStats | None = None,
) -> list[Finding]:
    """The matcher proper (see match_packages)."""
    stats = stats if stats is not None else MatchStats()
    stats.packages += len(packages)
    owned, os_names = _owned_paths(packages)
    candidates: list[tuple[Package, tuple[str, ...], tuple[str, ...]]] = []
    for package in packages:
        if not package.ecosystem:
            continue
        if package.version in _NO_VERSION:
            stats.unversioned += 1
            continue
        if _os_owned(package, owned, os_names):
            stats.os_owned_skipped += 1
            continue
        candidates.append((package, lookup_ecosystems(package.ecosystem), lookup_names(package)))

    key_cache: dict[str, VersionKey] = {}

    def key_of(ecosystem: str) -> VersionKey:
        base = _ecosystem_base(ecosystem)
        key = key_cache.get(base)
        if key is None:
            key = key_cache[base] = _cached(version_key(ecosystem))
        return key

    # package index -> (hits, ids a source says do not affect it)
    results: dict[int, tuple[list[_Hit], set[str]]] = {}
    keyed = version_key is default_version_key and getattr(db, "keyed", False)
    rest = list(enumerate(candidates))
    if keyed:
        rest = _keyed_hits(candidates, cast(KeyedAdvisorySource, db), key_of, stats, results)
    _python_hits(rest, db, key_of, stats, results)

    groups: list[_Group] = []
    for index, (package, _ecosystems, _names) in enumerate(candidates):
        found = results.get(index)
        if found is not None:
            groups.append(_Group(package=package, hits=found[0], ids=found[1]))

    if not groups:
        return []
    advisory_ids = {h.advisory_id for g in groups for h in g.hits}
    advisories: dict[str, Advisory] = {}
    # an advisory's ids and the finding's primary id among them, as the database stores them
    primaries: dict[str, tuple[str, tuple[str, ...]]] = {}
    id_sets: dict[str, frozenset[str]] = {}
    with_ids = getattr(db, "advisories_with_ids", None)
    if not advisory_ids:
        pass
    elif with_ids is None:
        advisories = _advisory_map(db.advisories(sorted(advisory_ids)))
    else:
        records: Mapping[str, tuple[Advisory, tuple[str, ...] | None]]
        records = with_ids(sorted(advisory_ids))
        for advisory_id, (adv, stored) in records.items():
            advisories[advisory_id] = adv
            if stored:  # None: a row an older seawall wrote
                id_sets[advisory_id] = frozenset(stored)
                primaries[advisory_id] = (stored[0], stored[1:])
    id_sets.update(_id_sets(advisory_ids - id_sets.keys(), advisories))
    kev = set(db.kev_ids())
    findings: list[Finding] = []
    shared: dict[tuple[str, str], _AdvisoryPart] = {}
    for group in groups:
        findings.extend(
            _merge_group(group, advisories, kev, asset, key_of, stats, id_sets, shared, primaries)
        )
    order = [
        (-_RANK_OF_VALUE[f.severity._value_], f.details["package"]["name"], f.rule, i)
        for i, f in enumerate(findings)
    ]
    order.sort()
    return [findings[item[3]] for item in order]


IdSets = Mapping[str, frozenset[str]]


def _id_sets(ids: Iterable[str], advisories: Mapping[str, Advisory]) -> dict[str, frozenset[str]]:
    """Each advisory id with its aliases and upstream ids, computed once per advisory."""
    out: dict[str, frozenset[str]] = {}
    for advisory_id in ids:
        adv = advisories.get(advisory_id)
        if adv is None:
            out[advisory_id] = frozenset((advisory_id,))
        else:
            out[advisory_id] = frozenset((advisory_id, *adv.aliases, *adv.upstream))
    return out


def _cluster(
    hits: list[_Hit], advisories: Mapping[str, Advisory], id_sets: IdSets
) -> list[tuple[frozenset[str], list[_Hit]]]:
    """Group hits that share any id (an advisory and its aliases) into one cluster each."""
    sets = [id_sets[hit.advisory_id] for hit in hits]
    if len(frozenset().union(*sets)) == sum(map(len, sets)):
        # no two hits share an id (the usual case): one cluster per hit, in order
        out: list[tuple[frozenset[str], list[_Hit]]] = []
        for hit, ids in zip(hits, sets, strict=True):
            adv = advisories.get(hit.advisory_id)
            if adv is None or not adv.withdrawn:
                out.append((ids, [hit]))
        return out
    # union hits that share any id (an advisory and its aliases): id -> cluster number
    owner: dict[str, int] = {}
    cluster_ids: list[frozenset[str]] = []  # unions build new sets: id_sets stay as they are
    cluster_hits: list[list[_Hit]] = []
    for hit in hits:
        adv = advisories.get(hit.advisory_id)
        if adv is not None and adv.withdrawn:
            continue
        ids = id_sets[hit.advisory_id]
        joined = {owner[i] for i in ids if i in owner}
        if not joined:
            number = len(cluster_ids)
            cluster_ids.append(ids)
            cluster_hits.append([hit])
        else:
            number = min(joined)
            cluster_ids[number] |= ids
            cluster_hits[number].append(hit)
            for other in joined - {number}:
                cluster_ids[number] |= cluster_ids[other]
                cluster_hits[number].extend(cluster_hits[other])
                for i in cluster_ids[other]:
                    owner[i] = number
                cluster_ids[other] = frozenset()
                cluster_hits[other] = []
        for i in cluster_ids[number]:
            owner[i] = number
    return [(i, h) for i, h in zip(cluster_ids, cluster_hits, strict=True) if h]


def _merge_group(
    group: _Group,
    advisories: Mapping[str, Advisory],
    kev: set[str],
    asset: str,
    key_of: Callable[[str], VersionKey],  # only clusters of several hits compare versions
    stats: MatchStats,
    id_sets: IdSets,
    shared: dict[tuple[str, str], _AdvisoryPart],
    primaries: Mapping[str, tuple[str, tuple[str, ...]]],
) -> list[Finding]:
    not_affected_ids: set[str] = set()
    for vid in group.ids:
        not_affected_ids.add(vid)
        adv = advisories.get(vid)
        if adv is not None:
            not_affected_ids.update(adv.aliases)
    clusters: list[tuple[frozenset[str], list[_Hit]]]
    if len(group.hits) == 1:
        hit = group.hits[0]
        adv = advisories.get(hit.advisory_id)
        withdrawn = adv is not None and adv.withdrawn
        clusters = [] if withdrawn else [(id_sets[hit.advisory_id], [hit])]
    else:
        clusters = _cluster(group.hits, advisories, id_sets)
    out: list[Finding] = []
    package = group.package
    # shared by this package's findings (read-only records)
    package_info = {
        "name": package.name,
        "version": package.version,
        "purl": package.purl,
        "type": package.type,
        "ecosystem": package.ecosystem,
        "source_name": package.source_name,
    }
    location = Location(path=package.path) if package.path else None
    for ids, hits in clusters:
        # a distro source saying "not affected" for any of these ids wins (backports)
        if not_affected_ids and ids & not_affected_ids:
            stats.not_affected += 1
            continue
        if len(hits) == 1 and _ONE_HIT_FAST_PATH:
            hit = hits[0]
            part = shared.get((hit.advisory_id, hit.ecosystem))
            if part is None:
                # a cluster of one hit has exactly its advisory's ids: named as stored
                named = primaries.get(hit.advisory_id) or _primary(ids)
                part = shared[(hit.advisory_id, hit.ecosystem)] = _advisory_part(
                    hit, ids, named, advisories.get(hit.advisory_id), kev
                )
            out.append(_single_finding(package, hit, part, asset, package_info, location))
        else:
            out.append(
                _finding(
                    package,
                    ids,
                    hits,
                    advisories,
                    kev,
                    asset,
                    key_of(package.ecosystem),
                    package_info,
                    location,
                )
            )
    return out


# What a finding from one advisory row takes from the advisory, the same for every package
# the row matches (computed once per advisory and row ecosystem): primary id, other ids,
# advisory id, severity (before the row's own), CVSS score and vector, references,
# summary, sources, known exploited
_AdvisoryPart = tuple[
    str,
    tuple[str, ...],
    str,
    Severity,
    float | None,
    str | None,
    tuple[str, ...],
    str,
    tuple[str, ...],
    bool,
]


def _advisory_part(
    hit: _Hit,
    ids: frozenset[str],
    named: tuple[str, tuple[str, ...]],
    adv: Advisory | None,
    kev: set[str],
) -> _AdvisoryPart:
    """`_finding`'s choices for a cluster of one hit (named: `_primary(ids)`)."""
    primary, other_ids = named
    if adv is None:
        return (primary, other_ids, hit.advisory_id, Severity.UNKNOWN, None, None, (), "",
                (hit.ecosystem,), not kev.isdisjoint(ids))  # fmt: skip
    severity = adv.severity
    score = adv.cvss_score
    if score is not None and severity is Severity.UNKNOWN:
        severity = severity_from_score(score)
    first, second = hit.ecosystem, adv.source
    if first == second:
        sources: tuple[str, ...] = (first,)
    else:
        sources = (first, second) if first < second else (second, first)
    return (
        primary,
        other_ids,
        hit.advisory_id,
        severity,
        score,
        adv.cvss_vector if score is not None else None,
        adv.references,
        adv.summary,
        sources,
        not kev.isdisjoint(ids),
    )


def _fix_wording(name: str, installed: str, fixed: str | None) -> tuple[str, str, str]:
    """A finding's evidence, remediation and status from the package and the fix."""
    if fixed:
        return (
            f"{name} {installed} installed; fixed in {fixed}",
            f"Upgrade {name} to {fixed} or later.",
            "fixed",
        )
    return f"{name} {installed} installed; no fix available", _NO_FIX, "unfixed"


def _single_finding(
    package: Package,
    hit: _Hit,
    part: _AdvisoryPart,
    asset: str,
    package_info: dict[str, Any],
    location: Location | None,
) -> Finding:
    """`_finding` for a cluster of one hit, from the advisory's precomputed part."""
    primary, aliases, advisory_id, severity, score, vector, references, summary, sources, kev = part
    if severity is Severity.UNKNOWN and hit.severity is not None:
        severity = hit.severity
    fixed = hit.fixed
    installed = hit.installed
    name = package.name
    title = f"{primary} in {name} {package.version}"
    if summary:
        title = f"{title}: {summary}"
    evidence, remediation, status = _fix_wording(name, installed, fixed)
    return Finding(
        type="vulnerability",
        rule=primary,
        title=title,
        severity=severity,
        asset=asset,
        layer=Layer.APPLICATION,
        task=Task.VULNERABILITY_MANAGEMENT,
        evidence=evidence,
        remediation=remediation,
        references=references,
        location=location,
        details={
            "id": primary,
            "aliases": list(aliases),
            "advisories": [advisory_id],
            "package": package_info,
            "installed": installed,
            "fixed": fixed,
            "status": status,
            "matched_by": [hit.matched_by],
            "cvss": {"score": score, "vector": vector},
            "known_exploited": kev,
            "layer": package.layer,
            "path": package.path,
            "source": list(sources),
            "summary": summary,
        },
    )


# the id a finding is named by (lowest CVE, else GHSA, else any) and the others
_primary = functools.lru_cache(maxsize=65536)(primary_id)


def _finding(
    package: Package,
    ids: frozenset[str],
    hits: list[_Hit],
    advisories: Mapping[str, Advisory],
    kev: set[str],
    asset: str,
    key: VersionKey,
    package_info: dict[str, Any],
    location: Location | None,
) -> Finding:
    primary, other_ids = _primary(ids)
    if len(hits) == 1:
        advisory_ids = [hits[0].advisory_id]
        only = advisories.get(advisory_ids[0])
        advs = [] if only is None else [only]
    else:
        advisory_ids = sorted({h.advisory_id for h in hits}, key=_id_rank)
        advs = [advisories[i] for i in advisory_ids if i in advisories]
    if len(hits) == 1:
        fixed = hits[0].fixed
    else:
        distro = [h for h in hits if _ecosystem_base(h.ecosystem) in DISTRO_ECOSYSTEMS]
        # distro advisories decide the fix for OS packages (they know the backports)
        fixed = None
        for hit in distro or hits:
            if hit.fixed and (fixed is None or key(fixed) < key(hit.fixed)):
                fixed = hit.fixed
    severity = Severity.UNKNOWN
    best_cvss: Advisory | None = None
    for adv in advs:
        if _RANK_OF_VALUE[adv.severity._value_] > _RANK_OF_VALUE[severity._value_]:
            severity = adv.severity
        if adv.cvss_score is not None and (
            best_cvss is None or adv.cvss_score > (best_cvss.cvss_score or 0.0)
        ):
            best_cvss = adv
    if severity is Severity.UNKNOWN and best_cvss is not None:
        severity = severity_from_cvss(best_cvss.cvss_score) or Severity.UNKNOWN
    if severity is Severity.UNKNOWN:
        for hit in hits:
            sev = hit.severity
            if sev is not None and _RANK_OF_VALUE[sev._value_] > _RANK_OF_VALUE[severity._value_]:
                severity = sev
    if len(advs) == 1:
        references = list(advs[0].references)
    else:
        references = list(dict.fromkeys(r for adv in advs for r in adv.references))
    summary = ""
    for adv in advs:
        if adv.summary:
            summary = adv.summary
            break
    installed = hits[0].installed
    evidence, remediation, status = _fix_wording(package.name, installed, fixed)
    aliases = list(other_ids)
    source_set = {h.ecosystem for h in hits}
    for adv in advs:
        source_set.add(adv.source)
    sources = sorted(source_set)
    title = f"{primary} in {package.name} {package.version}"
    if summary:
        title += f": {summary}"
    details: dict[str, Any] = {
        "id": primary,
        "aliases": aliases,
        "advisories": advisory_ids,
        "package": package_info,
        "installed": installed,
        "fixed": fixed,
        "status": status,
        "matched_by": [hits[0].matched_by]
        if len(hits) == 1
        else sorted({h.matched_by for h in hits}),
        "cvss": {
            "score": best_cvss.cvss_score if best_cvss else None,
            "vector": best_cvss.cvss_vector if best_cvss else None,
        },
        "known_exploited": not kev.isdisjoint(ids),
        "layer": package.layer,
        "path": package.path,
        "source": sources,
        "summary": summary,
    }
    return Finding(
        type="vulnerability",
        rule=primary,
        title=title,
        severity=severity,
        asset=asset,
        layer=Layer.APPLICATION,
        task=Task.VULNERABILITY_MANAGEMENT,
        evidence=evidence,
        remediation=remediation,
        references=tuple(references),
        location=location,
        details=details,
    )
