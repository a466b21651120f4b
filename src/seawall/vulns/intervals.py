"""OSV ranges as byte-key intervals, so SQLite can decide which advisory rows apply.

At import, each affected row becomes interval rows over order-preserving byte keys
(`seawall.vulns.versions.bytekey`): a version is inside when `lo <= key < hi` (`<= hi`
with HI_INCLUSIVE), plus point rows for an explicit `versions` list (matched by the exact
string, as the matcher does). The intervals are what `match.evaluate_affected` computes,
event for event: the same sweep over the events (sorted only when there are more than
two), `limit` clipping every interval of its range, a row without ranges or versions
covering every version. Each interval carries the fix it names and its order (range
index, position in the sweep) so the matcher can pick the same fixed version.

A row is stored for Python evaluation instead (one PYTHON row) when any bound has no
byte key or an event kind is unknown; a `not-affected` row is one NOT_AFFECTED row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from seawall.vulns.advisory import AffectedPackage
from seawall.vulns.versions.bytekey import MAX_KEY

ByteKey = Callable[[str], bytes | None]

# flags of a range row
HI_INCLUSIVE = 1  # last_affected: key <= hi
POINT = 2  # an explicit version: the installed string equals `point`
PYTHON = 4  # decided by the Python evaluation (the row's data is decoded)
NOT_AFFECTED = 8  # the source says this package is not affected
ALWAYS = PYTHON | NOT_AFFECTED  # returned for every installed version

LOWEST = b""  # below every key (OSV's introduced "0")
HIGHEST = MAX_KEY  # above every key (no upper bound)
_EVALUATED = frozenset({"ECOSYSTEM", "SEMVER"})
_KINDS = frozenset({"introduced", "fixed", "last_affected", "limit"})
_UNBOUNDED = "*"


class Interval(NamedTuple):
    """One stored range row (before the row's ecosystem, name and ids are added)."""

    lo: bytes | None
    hi: bytes | None
    flags: int
    point: str | None
    fixed: str | None
    order: int  # (range index << 16 | sweep position); points < 0, in list order


def order_of(range_index: int, position: int) -> int:
    """The sort order of an interval: earlier ranges first, then the sweep's order."""
    return (range_index << 16) | position


def row_intervals(row: AffectedPackage, key: ByteKey | None) -> list[Interval]:
    """The range rows that stand for `row` (see the module docstring)."""
    if row.status == "not-affected":
        return [Interval(None, None, NOT_AFFECTED, None, None, 0)]
    python = [Interval(None, None, PYTHON, None, None, 0)]
    if key is None:
        return python
    out: list[Interval] = []
    usable = [(i, r) for i, r in enumerate(row.ranges) if r.type in _EVALUATED]
    if not usable:
        if not row.versions and not row.ranges:
            out.append(Interval(LOWEST, HIGHEST, 0, None, None, 0))
        return _points(row.versions, key, out) + out
    for range_index, rng in usable:
        limit: bytes | None = None
        points: list[tuple[tuple[int, bytes], bytes, str, str]] = []
        for index, event in enumerate(rng.events):
            kind, version = event.kind, event.version
            if kind not in _KINDS or len(rng.events) > 0xFFFF:
                return python
            if kind == "limit":
                if version == _UNBOUNDED:
                    continue
                bound = key(version)
                if bound is None:
                    return python
                limit = bound if limit is None else min(limit, bound)
            elif kind == "introduced" and version == "0":
                points.append(((0, index.to_bytes(2, "big")), LOWEST, kind, version))
            else:
                bound = key(version)
                if bound is None:
                    return python
                points.append(((1, bound), bound, kind, version))
        if len(points) > 2:
            points.sort(key=lambda item: item[0])
        opened: bytes | None = None
        found: list[tuple[bytes, bytes, int, str | None]] = []
        for _order, bound, kind, version in points:
            if kind == "introduced":
                if opened is None:
                    opened = bound
                continue
            if opened is None:
                continue
            if kind == "fixed":
                found.append((opened, bound, 0, version))
            else:  # last_affected
                found.append((opened, bound, HI_INCLUSIVE, None))
            opened = None
        if opened is not None:
            found.append((opened, HIGHEST, 0, None))
        for position, (lo, hi, flags, fixed) in enumerate(found):
            if limit is not None and (limit < hi or (limit == hi and flags & HI_INCLUSIVE)):
                hi, flags = limit, 0
            out.append(Interval(lo, hi, flags, None, fixed, order_of(range_index, position)))
    return _points(row.versions, key, out) + out


def _points(versions: tuple[str, ...], key: ByteKey, intervals: list[Interval]) -> list[Interval]:
    """Point rows for the versions no interval contains (OSV lists mostly repeat what the
    ranges say; a listed version inside an interval matches through the interval)."""
    out: list[Interval] = []
    if not versions:
        return out
    # an empty fixed string would make the listed/unlisted choice of fix differ
    exact = any(iv.fixed == "" for iv in intervals)
    bounds = [(iv.lo or LOWEST, iv.hi or HIGHEST, iv.flags == HI_INCLUSIVE) for iv in intervals]
    for index, version in enumerate(versions):
        mine = key(version)
        if mine is not None and not exact:
            for lo, hi, inclusive in bounds:
                if lo <= mine and (mine < hi or (inclusive and mine == hi)):
                    break  # an interval holds it
            else:
                out.append(Interval(None, None, POINT, version, None, -1 - index))
            continue
        out.append(Interval(None, None, POINT, version, None, -1 - index))
    return out


def row_fixed(hits: list[tuple[int, str | None]]) -> str | None:
    """The fixed version of a row from its hit (order, fixed) pairs, as evaluate_affected
    picks it: each range's first containing interval decides that range; with a version
    list hit (order < 0), the first range naming a fix, else none; otherwise the first
    range, replaced by the first later one naming a fix when it names none."""
    if len(hits) == 1:
        return hits[0][1]
    first: dict[int, str | None] = {}
    listed = False
    for order, fixed in sorted(hits):
        if order < 0:
            listed = True
        else:
            first.setdefault(order >> 16, fixed)
    ranges = [first[index] for index in sorted(first)]
    if listed:
        return next((fixed for fixed in ranges if fixed), None)
    best = ranges[0]
    if not best:
        best = next((fixed for fixed in ranges if fixed), best)
    return best
