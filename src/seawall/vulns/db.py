"""The local advisory database: one SQLite file, rebuilt atomically on every import.

Layout (schema version 1):

    meta(key, value)                       schema version, built_at
    sources(name, records, imported_at, files)
    advisories(family, id, source, data, ids)
                                           data = msgpack-encoded Advisory; ids = the
                                           finding's primary id, then its other ids
                                           (aliases, upstream) sorted (msgpack; NULL
                                           when an older seawall wrote the row)
    affected(family, advisory_id, ecosystem, eco_key, name, data)
                                           data = msgpack-encoded AffectedPackage,
                                           indexed by (eco_key, name)
    kev(cve, data)                         CISA Known Exploited Vulnerabilities
    affected_ranges(eco_key, name, affected_id, ord, lo, hi, flags, point, fixed,
                    advisory_id, ecosystem, severity)
                                           each affected row's ranges as byte-key
                                           intervals (seawall.vulns.intervals), so SQLite
                                           picks the rows that apply (`match_ranges`)

The range rows are valid for the byte-key format and the build recorded in
meta('range_keys'); a database whose range rows are missing or of another key format (an
older seawall, another KEY_FORMAT) is matched by Python evaluation of the `affected` rows,
and the next import rebuilds its range rows. Triggers stored in the file delete
meta('range_keys') whenever an affected row changes (this seawall writes it again when its
import ends): an older seawall importing into the file cannot leave stale range rows
trusted, even within the second of the last build (built_at has whole seconds).

`family` is the importer ("osv", "debian-tracker", "alpine-secdb"): the same id may come
from two families (a Debian tracker CVE and an OSV record of the same CVE) and both are
kept. Re-importing a record replaces it.

Ecosystems are stored as the source gives them ("Debian:12", "Ubuntu:22.04:LTS",
"Red Hat:rhel_aus:8.4::appstream") and as a normalised key (see `normalize_ecosystem`), so
the matcher's OS ecosystem from os-release ("Ubuntu:22.04", "rhel:9.3") finds them.

Every import copies the current file to a temporary sibling, writes one transaction there
and renames it into place: an interrupted import leaves the previous database intact.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import operator
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import msgspec
import platformdirs

from seawall._gc import gc_paused
from seawall.errors import InputError
from seawall.vulns.advisory import Advisory, AffectedPackage, primary_id
from seawall.vulns.intervals import ALWAYS, HI_INCLUSIVE, POINT, ByteKey, row_intervals
from seawall.vulns.versions.bytekey import KEY_FORMAT, byte_key_func

SCHEMA_VERSION = "1"
STALE_AFTER = dt.timedelta(days=7)
_BATCH = 500  # names per IN (...) query, below SQLite's variable limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY, records INTEGER NOT NULL, imported_at TEXT NOT NULL,
    files TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS advisories (
    family TEXT NOT NULL, id TEXT NOT NULL, source TEXT NOT NULL, data BLOB NOT NULL,
    ids BLOB, PRIMARY KEY (family, id)
);
CREATE TABLE IF NOT EXISTS affected (
    family TEXT NOT NULL, advisory_id TEXT NOT NULL, ecosystem TEXT NOT NULL,
    eco_key TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS affected_lookup ON affected (eco_key, name);
CREATE INDEX IF NOT EXISTS affected_owner ON affected (family, advisory_id);
CREATE TABLE IF NOT EXISTS kev (cve TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS affected_ranges (
    eco_key TEXT NOT NULL, name TEXT NOT NULL, affected_id INTEGER NOT NULL,
    ord INTEGER NOT NULL, lo BLOB, hi BLOB, flags INTEGER NOT NULL, point TEXT,
    fixed TEXT, advisory_id TEXT NOT NULL, ecosystem TEXT NOT NULL, severity TEXT,
    PRIMARY KEY (eco_key, name, affected_id, ord)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS affected_inserted AFTER INSERT ON affected
BEGIN DELETE FROM meta WHERE key = 'range_keys'; END;
CREATE TRIGGER IF NOT EXISTS affected_deleted AFTER DELETE ON affected
BEGIN DELETE FROM meta WHERE key = 'range_keys'; END;
CREATE TRIGGER IF NOT EXISTS affected_updated AFTER UPDATE ON affected
BEGIN DELETE FROM meta WHERE key = 'range_keys'; END;
"""

# -- ecosystem normalisation -----------------------------------------------------------

_DISTRO_NAMES = {
    "debian": "debian",
    "ubuntu": "ubuntu",
    "alpine": "alpine",
    "red hat": "redhat",
    "redhat": "redhat",
    "rhel": "redhat",
    "rocky linux": "rocky",
    "rocky": "rocky",
    "almalinux": "almalinux",
    "alma": "almalinux",
    "alma linux": "almalinux",
}
_NUMBER = re.compile(r"^v?(\d+)(?:\.(\d+))?")


def normalize_ecosystem(ecosystem: str) -> str:
    """The lookup key of an ecosystem: OSV names and os-release forms meet here.

    - language ecosystems: lower-cased ("PyPI" -> "pypi", "crates.io" -> "crates.io");
    - Debian: major release ("Debian:12", "debian:12.5" -> "debian:12");
    - Ubuntu: release without the LTS tag ("Ubuntu:22.04:LTS" -> "ubuntu:22.04"), Pro
      and FIPS streams kept apart ("Ubuntu:Pro:14.04:LTS" -> "ubuntu:pro:14.04");
    - Alpine: v + major.minor ("Alpine:v3.19", "alpine:3.19.1" -> "alpine:v3.19");
    - Red Hat, Rocky, AlmaLinux: major release ("Red Hat:rhel_aus:8.4::appstream" ->
      "redhat:8", "Rocky Linux:9" -> "rocky:9", "rhel:9.3" -> "redhat:9").
    """
    parts = [p.strip() for p in ecosystem.split(":")]
    base = parts[0].lower()
    distro = _DISTRO_NAMES.get(base)
    if distro is None:
        return ":".join(p.lower() for p in parts if p)
    rest = [p.lower() for p in parts[1:] if p]
    if distro == "ubuntu":
        rest = [p for p in rest if p != "lts"]
        return ":".join([distro, *rest])
    for part in rest:
        # Red Hat CPE-like streams name the product first ("rhel_aus:8.4"); take the
        # first component that is a release number.
        for token in re.split(r"[_\s]", part) if distro == "redhat" else [part]:
            match = _NUMBER.match(token)
            if match is None:
                continue
            major, minor = match.group(1), match.group(2)
            if distro == "alpine":
                return f"alpine:v{major}.{minor or '0'}"
            return f"{distro}:{major}"
    return distro


_PYPI_SEPARATORS = re.compile(r"[-_.]+")
_CASE_INSENSITIVE = ("nuget", "packagist", "npm")


def normalize_name(eco_key: str, name: str) -> str:
    """A package name as stored and looked up: PyPI names PEP 503-normalised
    ("Jinja2", "jinja_2" -> "jinja2", "jinja-2"), NuGet/Packagist/npm lower-cased;
    other ecosystems (distro source packages, Maven, Go, crates.io) as given."""
    if eco_key == "pypi":
        if "_" not in name and "." not in name and "--" not in name:
            return name.lower()  # nothing for the regular expression to do (most names)
        return _PYPI_SEPARATORS.sub("-", name).lower()
    if eco_key in _CASE_INSENSITIVE:
        return name.lower()
    return name


def default_db_path() -> Path:
    """Where the database lives unless --db or SEAWALL_DB says otherwise."""
    return Path(platformdirs.user_cache_dir("seawall")) / "advisories.db"


def resolve_db_path(path: Path | str | None = None) -> Path:
    """--db PATH, else $SEAWALL_DB, else the user cache default."""
    if path:
        return Path(path)
    env = os.environ.get("SEAWALL_DB")
    if env:
        return Path(env)
    return default_db_path()


# -- status ----------------------------------------------------------------------------


class SourceStatus(msgspec.Struct, frozen=True, kw_only=True):
    """One imported source: its name, how many records it holds and when it came in."""

    name: str
    records: int
    imported_at: str
    files: tuple[str, ...] = ()


class DbStatus(msgspec.Struct, frozen=True, kw_only=True):
    """What `seawall db status` reports."""

    path: str
    built_at: str
    age_seconds: float
    advisories: int
    affected: int
    known_exploited: int
    ecosystems: dict[str, int]
    sources: tuple[SourceStatus, ...]

    @property
    def age(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.age_seconds)

    @property
    def is_stale(self) -> bool:
        """True when the database was built more than 7 days ago."""
        return self.age > STALE_AFTER


def _ro_uri(path: Path) -> str:
    """A read-only SQLite URI for `path` (quoted: '?' or '#' in a name stay literal)."""
    return f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro"


def _now() -> dt.datetime:
    """The current UTC time to the second: what is stored as a build/import time."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _age_seconds(built_at: str, now: dt.datetime | None = None) -> float:
    """Seconds since `built_at`, measured against the un-truncated clock: truncating "now"
    to the second made a database built exactly 10 days ago (with sub-second precision)
    read as 9 days."""
    current = now or dt.datetime.now(dt.UTC)
    return max(0.0, (current - _parse_time(built_at)).total_seconds())


def _parse_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# -- reading ---------------------------------------------------------------------------

_ADVISORY_DECODER = msgspec.msgpack.Decoder(Advisory)
_AFFECTED_DECODER = msgspec.msgpack.Decoder(AffectedPackage)
_ENCODER = msgspec.msgpack.Encoder()
_IDS_DECODER = msgspec.msgpack.Decoder(tuple[str, ...])
_FAMILY_ORDER = {"osv": 0, "debian-tracker": 1, "alpine-secdb": 2}
_NO_KEY: Any = object()  # a writer's key cache: ecosystem not looked up yet
_HIT_ORDER = operator.itemgetter(0, 1, 4)  # query, row id, order
# i: the installed versions (CROSS JOIN: for each, search the range rows of its name);
# a range row applies when the version is inside its interval
# (lo <= key < hi, or <= hi when HI_INCLUSIVE), equals its point, or it is always returned
_MATCH_RANGES = (
    "SELECT i.q, r.affected_id, r.flags, r.fixed, r.ord, r.advisory_id, r.ecosystem, "
    "r.severity FROM temp.installed i CROSS JOIN affected_ranges r "
    "ON r.eco_key = ? AND r.name = i.name "
    f"WHERE (r.flags < {POINT} AND r.lo <= i.k "
    f"AND (i.k < r.hi OR (r.flags = {HI_INCLUSIVE} AND i.k = r.hi))) "
    f"OR (r.flags = {POINT} AND r.point = i.v) OR (r.flags & {ALWAYS})"
)


def _ids_of(advisory: Advisory) -> tuple[str, ...]:
    """What advisories.ids holds: the primary id (seawall.vulns.advisory.primary_id) of
    the advisory's ids (its own, aliases, upstream), then the others sorted."""
    primary, others = primary_id(frozenset((advisory.id, *advisory.aliases, *advisory.upstream)))
    return (primary, *others)


def _has_ids(conn: sqlite3.Connection) -> bool:
    """Does the advisories table have the ids column (an older seawall's file may not)?"""
    return any(row[1] == "ids" for row in conn.execute("PRAGMA table_info(advisories)"))


_INSERT_VALUES = 240 * 4  # parameters per INSERT, below SQLite's oldest variable limit


@functools.lru_cache(maxsize=8)
def _insert_installed(rows: int) -> str:
    """INSERT of `rows` installed versions into match_ranges' temporary table."""
    return "INSERT INTO temp.installed (q, name, k, v) VALUES " + ",".join(["(?, ?, ?, ?)"] * rows)


def _range_stamp(built_at: str | None) -> str:
    """What meta('range_keys') holds when the range rows belong to this build and key
    format (an older seawall importing into the file changes built_at, not this)."""
    return msgspec.json.encode({"key_format": KEY_FORMAT, "built_at": built_at}).decode()


_P = ParamSpec("_P")
_R = TypeVar("_R")


@functools.lru_cache(maxsize=1)
def _own_code_objects() -> frozenset[tuple[str, str, str]]:
    """(type, name, sql) of the triggers and views seawall's schema creates."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(_SCHEMA)
        return frozenset(conn.execute(_CODE_OBJECTS).fetchall())
    finally:
        conn.close()


_CODE_OBJECTS = "SELECT type, name, sql FROM sqlite_master WHERE type IN ('trigger', 'view')"


def _check_code_objects(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a file holding triggers or views seawall did not write: SQL in the file would
    run when seawall reads a view or writes a table (the file may come from anyone)."""
    foreign = sorted(
        (kind, name)
        for kind, name, sql in conn.execute(_CODE_OBJECTS)
        if (kind, name, sql) not in _own_code_objects()
    )
    if foreign:
        kind, name = foreign[0]
        raise InputError(
            f"{path} holds a {kind} {name!r} that seawall does not write"
            f"{f' (and {len(foreign) - 1} more)' if len(foreign) > 1 else ''}: "
            "not using it; remove the file and run `seawall db update`"
        )


def damaged(path: Path | str, detail: object) -> InputError:
    """The one-line error for a database file whose tables or rows are not what seawall
    writes (someone else built or edited it)."""
    return InputError(
        f"{path} is a damaged advisory database ({detail}): rebuild it with `seawall db update`"
    )


def _reads(
    method: Callable[Concatenate[AdvisoryDB, _P], _R],
) -> Callable[Concatenate[AdvisoryDB, _P], _R]:
    """A read of the database: missing tables or columns and undecodable rows (a file
    someone else built) are one InputError, not a traceback."""

    @functools.wraps(method)
    def read(self: AdvisoryDB, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.DatabaseError, msgspec.DecodeError, TypeError) as exc:
            raise damaged(self.path, exc) from None

    return cast("Callable[Concatenate[AdvisoryDB, _P], _R]", read)


class AdvisoryDB:
    """Read access to the advisory database (open with `AdvisoryDB.open`)."""

    def __init__(self, path: Path, conn: sqlite3.Connection, *, keyed: bool = False) -> None:
        self.path = path
        self._conn = conn
        self._family_cache: tuple[str, ...] | None = None
        self._lock = threading.Lock()  # match_ranges' temporary table
        self._temp_ready = False
        self._has_ids: bool | None = None
        self.keyed = keyed
        """True when the range rows were built with this seawall's byte keys for this very
        build of the database: `match_ranges` then decides exactly as Python would."""

    @classmethod
    def open(cls, path: Path | str | None = None) -> AdvisoryDB:
        """Open the database at `path` (or $SEAWALL_DB, or the default) read-only."""
        db_path = resolve_db_path(path)
        if not db_path.is_file():
            raise InputError(
                f"no advisory database at {db_path}: run `seawall db update` or `seawall db import`"
            )
        try:
            conn = sqlite3.connect(_ro_uri(db_path), uri=True, check_same_thread=False)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"cannot open {db_path} ({exc})") from None
        try:
            _check_code_objects(conn, db_path)
            meta = dict(
                conn.execute(
                    "SELECT key, value FROM meta WHERE key IN ('schema', 'built_at', 'range_keys')"
                ).fetchall()
            )
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise InputError(f"{db_path} is not a seawall advisory database ({exc})") from None
        except InputError:
            conn.close()
            raise
        if meta.get("schema") != SCHEMA_VERSION:
            conn.close()
            raise InputError(
                f"{db_path} has an unsupported schema: rebuild it with `seawall db update`"
            )
        keyed = meta.get("range_keys") == _range_stamp(meta.get("built_at"))
        return cls(db_path, conn, keyed=keyed)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> AdvisoryDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @_reads
    def lookup(self, ecosystem: str, names: Iterable[str]) -> dict[str, list[AffectedPackage]]:
        """Affected-package rows for each of `names` in `ecosystem` (names with none absent).

        The ecosystem is normalised first, so "Ubuntu:22.04", "Debian:12" or "PyPI" all
        work; distro rows are keyed by SOURCE package name.
        """
        key = normalize_ecosystem(ecosystem)
        # stored name -> the caller's spellings of it (PyPI "Jinja2" finds "jinja2")
        asked: dict[str, list[str]] = {}
        for name in names:
            spellings = asked.setdefault(normalize_name(key, name), [])
            if name not in spellings:
                spellings.append(name)
        wanted = list(asked)
        by_name: dict[str, list[AffectedPackage]] = {}
        decode = _AFFECTED_DECODER.decode
        with gc_paused():
            for start in range(0, len(wanted), _BATCH):
                chunk = wanted[start : start + _BATCH]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT name, data FROM affected WHERE eco_key = ? AND name IN ({marks})",
                    (key, *chunk),
                )
                for name, data in rows.fetchall():
                    found = by_name.get(name)
                    if found is None:
                        by_name[name] = [decode(data)]
                    else:
                        found.append(decode(data))
        # every spelling of a stored name gets the same (read-only) list of rows
        out: dict[str, list[AffectedPackage]] = {}
        for name, spellings in asked.items():
            found = by_name.get(name)
            if found is not None:
                for spelling in spellings:
                    out[spelling] = found
        return out

    @_reads
    def present_names(self, ecosystem: str, names: Iterable[str]) -> set[str]:
        """The names (as given) that have any affected row in `ecosystem`, normalised as
        `lookup` does: one probe of the (eco_key, name) index per distinct name, no row
        read. Names outside this set match nothing."""
        key = normalize_ecosystem(ecosystem)
        spellings: dict[str, list[str]] = {}
        for name in names:
            stored = normalize_name(key, name)
            found = spellings.get(stored)
            if found is None:
                spellings[stored] = [name]
            else:
                found.append(name)
        wanted = list(spellings)
        out: set[str] = set()
        for start in range(0, len(wanted), _BATCH):
            chunk = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(chunk))
            for (stored,) in self._conn.execute(
                f"SELECT DISTINCT name FROM affected WHERE eco_key = ? AND name IN ({marks})",
                (key, *chunk),
            ):
                out.update(spellings[stored])
        return out

    @_reads
    def match_ranges(
        self, ecosystem: str, queries: Sequence[tuple[int, str, bytes, str]]
    ) -> list[tuple[int, int, int, str | None, int, str, str, str | None]]:
        """The range rows that apply to installed versions, decided by SQLite.

        queries: (query number, package name, byte key of the installed version, installed
        version) in `ecosystem`; names and the ecosystem are normalised as `lookup` does.
        Returns (query number, affected row id, flags, fixed, order, advisory id,
        ecosystem, severity) for every interval or point containing the version and every
        row flagged PYTHON or NOT_AFFECTED (see seawall.vulns.intervals), sorted by query
        number, affected row id and order. Only exact when `keyed` is true.
        """
        key = normalize_ecosystem(ecosystem)
        conn = self._conn
        with self._lock, gc_paused():
            # a temporary table of the installed versions (in memory, this connection
            # only): its statements stay the same, so SQLite prepares them once
            if not self._temp_ready:
                conn.execute("PRAGMA temp_store = MEMORY")
                conn.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS installed "
                    "(q INTEGER PRIMARY KEY, name TEXT NOT NULL, k BLOB NOT NULL, v TEXT NOT NULL)"
                )
                self._temp_ready = True
            try:
                values = [
                    value
                    for number, name, version_key, installed in queries
                    for value in (number, normalize_name(key, name), version_key, installed)
                ]
                # many rows per INSERT: a third faster than executemany's row by row
                for start in range(0, len(values), _INSERT_VALUES):
                    chunk = values[start : start + _INSERT_VALUES]
                    conn.execute(_insert_installed(len(chunk) // 4), chunk)
                out = conn.execute(_MATCH_RANGES, (key,)).fetchall()
            finally:
                conn.execute("DELETE FROM temp.installed")
        out.sort(key=_HIT_ORDER)
        return out

    @_reads
    def affected_rows(self, ids: Iterable[int]) -> dict[int, AffectedPackage]:
        """Affected rows by row id (as `match_ranges` returns them)."""
        wanted = list(dict.fromkeys(ids))
        out: dict[int, AffectedPackage] = {}
        for start in range(0, len(wanted), _BATCH):
            chunk = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(chunk))
            for rowid, data in self._conn.execute(
                f"SELECT rowid, data FROM affected WHERE rowid IN ({marks})", chunk
            ):
                out[rowid] = _AFFECTED_DECODER.decode(data)
        if len(out) < len(wanted):
            raise damaged(self.path, "range rows name affected rows that are missing")
        return out

    def advisories(self, ids: Iterable[str]) -> dict[str, Advisory]:
        """The advisory record for each id found (OSV's record preferred over a tracker's)."""
        return {ident: found[0] for ident, found in self.advisories_with_ids(ids).items()}

    @_reads
    def advisories_with_ids(
        self, ids: Iterable[str]
    ) -> dict[str, tuple[Advisory, tuple[str, ...] | None]]:
        """`advisories`, each with the ids stored with it: the primary id a finding is
        named by, then the other ids (its own, aliases, upstream) sorted; None when the
        row has none (written by an older seawall)."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, tuple[int, bytes, bytes | None]] = {}
        if self._has_ids is None:
            self._has_ids = _has_ids(self._conn)
        with gc_paused():
            self._fetch_advisories(wanted, out)
            decode = _ADVISORY_DECODER.decode
            decode_ids = _IDS_DECODER.decode
            return {
                ident: (decode(data), None if stored is None else decode_ids(stored))
                for ident, (_, data, stored) in out.items()
            }

    def _families(self) -> tuple[str, ...]:
        """The importer families present (a skip-scan of the primary key: one probe each)."""
        if self._family_cache is None:
            rows = self._conn.execute(
                "WITH RECURSIVE f(x) AS (SELECT MIN(family) FROM advisories UNION ALL "
                "SELECT (SELECT MIN(family) FROM advisories WHERE family > x) FROM f "
                "WHERE x IS NOT NULL) SELECT x FROM f WHERE x IS NOT NULL"
            )
            self._family_cache = tuple(str(row[0]) for row in rows)
        return self._family_cache

    def _fetch_advisories(
        self, wanted: list[str], out: dict[str, tuple[int, bytes, bytes | None]]
    ) -> None:
        # the primary key is (family, id): naming the families lets SQLite search the key
        # instead of scanning the whole table once per batch
        families = self._families()
        if not families:
            return
        family_marks = ",".join("?" * len(families))
        columns = "family, id, data, ids" if self._has_ids else "family, id, data, NULL"
        for start in range(0, len(wanted), _BATCH):
            chunk = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT {columns} FROM advisories WHERE family IN ({family_marks}) "
                f"AND id IN ({marks})",
                (*families, *chunk),
            )
            for family, ident, data, stored in rows:
                rank = _FAMILY_ORDER.get(family, 9)
                if ident not in out or rank < out[ident][0]:
                    out[ident] = (rank, data, stored)

    def advisory(self, advisory_id: str) -> Advisory:
        """One advisory by id; InputError when the database has no such record."""
        found = self.advisories([advisory_id])
        if advisory_id not in found:
            raise InputError(f"no advisory {advisory_id} in {self.path}")
        return found[advisory_id]

    @_reads
    def kev_ids(self) -> set[str]:
        """CVE ids in the CISA Known Exploited Vulnerabilities catalog."""
        return {row[0] for row in self._conn.execute("SELECT cve FROM kev")}

    @_reads
    def built_at(self) -> str:
        """When the database was last built (UTC ISO time); one indexed read."""
        built = self._conn.execute("SELECT value FROM meta WHERE key = 'built_at'").fetchone()
        return str(built[0]) if built else "1970-01-01T00:00:00+00:00"

    @_reads
    def status(self) -> DbStatus:
        """Sources, record counts, build time and age (counts are stored at build time,
        so this stays cheap on a full database)."""
        conn = self._conn
        built_at = self.built_at()
        age = _age_seconds(built_at)
        sources = tuple(
            SourceStatus(
                name=name,
                records=records,
                imported_at=imported_at,
                files=tuple(f for f in files.split("\n") if f),
            )
            for name, records, imported_at, files in conn.execute(
                "SELECT name, records, imported_at, files FROM sources ORDER BY name"
            )
        )
        stored = conn.execute("SELECT value FROM meta WHERE key = 'counts'").fetchone()
        counts = msgspec.json.decode(stored[0]) if stored else _count(conn)
        return DbStatus(
            path=str(self.path),
            built_at=built_at,
            age_seconds=age,
            advisories=int(counts["advisories"]),
            affected=int(counts["affected"]),
            known_exploited=int(counts["known_exploited"]),
            ecosystems=dict(counts["ecosystems"]),
            sources=sources,
        )


def _count(conn: sqlite3.Connection) -> dict[str, Any]:
    return {
        "advisories": conn.execute("SELECT COUNT(*) FROM advisories").fetchone()[0],
        "affected": conn.execute("SELECT COUNT(*) FROM affected").fetchone()[0],
        "known_exploited": conn.execute("SELECT COUNT(*) FROM kev").fetchone()[0],
        "ecosystems": dict(
            conn.execute(
                "SELECT ecosystem, COUNT(*) FROM affected GROUP BY ecosystem ORDER BY ecosystem"
            ).fetchall()
        ),
    }


# -- writing ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What one source contributed to an import."""

    source: str
    files: list[str] = field(default_factory=list)
    advisories: int = 0
    affected: int = 0
    kev: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count


class DbWriter:
    """The write side, valid inside `building()`: one transaction on a temporary copy."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        # affected rows get explicit row ids so their range rows can name them
        self._next_rowid = int(
            conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM affected").fetchone()[0]
        )
        self._keys: dict[str, ByteKey | None] = {}

    def _range_rows(
        self, rowid: int, eco_key: str, name: str, row: AffectedPackage
    ) -> list[tuple[object, ...]]:
        key = self._keys.get(row.ecosystem, _NO_KEY)
        if key is _NO_KEY:
            key = self._keys[row.ecosystem] = byte_key_func(row.ecosystem)
        severity = row.severity.value if row.severity is not None else None
        return [
            (eco_key, name, rowid, iv.order, iv.lo, iv.hi, iv.flags, iv.point, iv.fixed,
             row.advisory_id, row.ecosystem, severity)
            for iv in row_intervals(row, key)
        ]  # fmt: skip

    def _insert_ranges(self, rows: list[tuple[object, ...]]) -> None:
        self._conn.executemany(
            "INSERT OR REPLACE INTO affected_ranges (eco_key, name, affected_id, ord, lo, hi, "
            "flags, point, fixed, advisory_id, ecosystem, severity) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def fill_ids(self) -> None:
        """Add the advisories.ids column to a file an older seawall built, and fill every
        row that lacks it (rows an older seawall wrote)."""
        conn = self._conn
        if not _has_ids(conn):
            conn.execute("ALTER TABLE advisories ADD COLUMN ids BLOB")
        decode = _ADVISORY_DECODER.decode
        conn.executemany(
            "UPDATE advisories SET ids = ? WHERE rowid = ?",
            [
                (_ENCODER.encode(_ids_of(decode(data))), rowid)
                for rowid, data in conn.execute(
                    "SELECT rowid, data FROM advisories WHERE ids IS NULL"
                ).fetchall()
            ],
        )

    def rebuild_ranges(self) -> None:
        """Recompute every range row from the affected rows (another key format, or a
        database an older seawall built)."""
        self._conn.execute("DELETE FROM affected_ranges")
        ranges: list[tuple[object, ...]] = []
        decode = _AFFECTED_DECODER.decode
        for rowid, eco_key, name, data in self._conn.execute(
            "SELECT rowid, eco_key, name, data FROM affected"
        ).fetchall():
            ranges += self._range_rows(rowid, eco_key, name, decode(data))
        self._insert_ranges(ranges)

    def put(
        self,
        family: str,
        advisory: Advisory,
        affected: Iterable[AffectedPackage],
        *,
        replace_ecosystems: bool = False,
    ) -> int:
        """Store one advisory and its affected packages, replacing an earlier import of it.

        With replace_ecosystems, only rows of the ecosystems given are replaced (a feed that
        covers one release at a time, like Alpine secdb). Returns the affected-row count.
        """
        rows = list(affected)
        conn = self._conn
        conn.execute(
            "INSERT OR REPLACE INTO advisories (family, id, source, data, ids) "
            "VALUES (?, ?, ?, ?, ?)",
            (family, advisory.id, advisory.source, _ENCODER.encode(advisory),
             _ENCODER.encode(_ids_of(advisory))),
        )  # fmt: skip
        if replace_ecosystems:
            for eco in {row.ecosystem for row in rows}:
                self._delete("family = ? AND advisory_id = ? AND ecosystem = ?",
                             (family, advisory.id, eco))  # fmt: skip
        else:
            self._delete("family = ? AND advisory_id = ?", (family, advisory.id))
        stored: list[tuple[object, ...]] = []
        ranges: list[tuple[object, ...]] = []
        for row in rows:
            self._next_rowid += 1
            eco_key = normalize_ecosystem(row.ecosystem)
            name = normalize_name(eco_key, row.name)
            stored.append(
                (self._next_rowid, family, advisory.id, row.ecosystem, eco_key, name,
                 _ENCODER.encode(row))
            )  # fmt: skip
            ranges += self._range_rows(self._next_rowid, eco_key, name, row)
        conn.executemany(
            "INSERT INTO affected (rowid, family, advisory_id, ecosystem, eco_key, name, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            stored,
        )
        self._insert_ranges(ranges)
        return len(rows)

    def _delete(self, where: str, params: tuple[str, ...]) -> None:
        """Delete affected rows (and their range rows) matching `where`."""
        rows = self._conn.execute(
            f"SELECT eco_key, name, rowid FROM affected WHERE {where}", params
        ).fetchall()
        if not rows:
            return
        # the range rows' primary key starts with (eco_key, name, affected_id)
        self._conn.executemany(
            "DELETE FROM affected_ranges WHERE eco_key = ? AND name = ? AND affected_id = ?", rows
        )
        self._conn.executemany("DELETE FROM affected WHERE rowid = ?", [(r[2],) for r in rows])

    def put_kev(self, entries: Iterable[tuple[str, dict[str, object]]]) -> int:
        """Replace the KEV catalog with `entries` ((cve, details) pairs)."""
        self._conn.execute("DELETE FROM kev")
        rows = [(cve, _ENCODER.encode(details)) for cve, details in entries]
        self._conn.executemany("INSERT OR REPLACE INTO kev (cve, data) VALUES (?, ?)", rows)
        return len(rows)

    def record_source(self, result: ImportResult) -> None:
        records = result.kev if result.source == "kev" else result.advisories
        previous = self._conn.execute(
            "SELECT files FROM sources WHERE name = ?", (result.source,)
        ).fetchone()
        files = list(dict.fromkeys([*(previous[0].split("\n") if previous else []), *result.files]))
        if result.source != "kev":
            records = self._conn.execute(
                "SELECT COUNT(*) FROM advisories WHERE family = ?", (result.source,)
            ).fetchone()[0]
        self._conn.execute(
            "INSERT OR REPLACE INTO sources (name, records, imported_at, files) "
            "VALUES (?, ?, ?, ?)",
            (result.source, records, _now().isoformat(), "\n".join(f for f in files if f)),
        )


@contextlib.contextmanager
def building(path: Path | str | None = None) -> Iterator[DbWriter]:
    """Open a writer on a temporary copy of the database; commit and rename on success.

    Any exception (including KeyboardInterrupt) discards the copy: the database at
    `path` is either the previous one or the complete new one, never a mix.
    """
    db_path = resolve_db_path(path)
    if db_path.exists() and not db_path.is_file():
        raise InputError(f"{db_path} is not a file: give --db a database file path")
    directory = db_path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {directory}: {exc.strerror}") from None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{db_path.name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    conn: sqlite3.Connection | None = None
    try:
        if db_path.is_file():
            _check_existing(db_path)
            shutil.copyfile(db_path, tmp)
        conn = sqlite3.connect(tmp, isolation_level=None)
        # The copy is private until the rename: no journal needed for crash safety.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.executescript(_SCHEMA)
        conn.execute("BEGIN")
        writer = DbWriter(conn)
        meta = dict(
            conn.execute("SELECT key, value FROM meta WHERE key IN ('built_at', 'range_keys')")
        )
        if meta.get("range_keys") != _range_stamp(meta.get("built_at")):
            # another key format, or an older seawall wrote to the file since
            writer.rebuild_ranges()
            writer.fill_ids()
        elif not _has_ids(conn):
            writer.fill_ids()
        yield writer
        built_at = _now().isoformat()
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES "
            "('schema', ?), ('built_at', ?), ('counts', ?), ('range_keys', ?)",
            (
                SCHEMA_VERSION,
                built_at,
                msgspec.json.encode(_count(conn)).decode(),
                _range_stamp(built_at),
            ),
        )
        conn.execute("COMMIT")
        conn.close()
        conn = None
        try:
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, db_path)
        except OSError as exc:
            raise InputError(f"cannot write {db_path}: {exc.strerror or exc}") from None
    finally:
        if conn is not None:
            conn.close()
        with contextlib.suppress(OSError):
            tmp.unlink()


def _check_existing(db_path: Path) -> None:
    try:
        conn = sqlite3.connect(_ro_uri(db_path), uri=True)
        try:
            _check_code_objects(conn, db_path)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{db_path} is not a seawall advisory database ({exc})") from None
    if row is None or row[0] != SCHEMA_VERSION:
        raise InputError(f"{db_path} has an unsupported schema: remove it and import again")
