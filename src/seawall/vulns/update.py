"""`seawall db update`: download the official feeds, resumably, then import them.

Feeds (each overridable with one base URL: --feed-base or $SEAWALL_FEED_BASE, under which
the layout is osv/<Ecosystem>/all.zip, debian/json, alpine/<v3.xx>/main.json,
kev/known_exploited_vulnerabilities.json):

- osv.dev per-ecosystem archives: https://osv-vulnerabilities.storage.googleapis.com/<eco>/all.zip
- Debian security tracker: https://security-tracker.debian.org/tracker/data/json
- Alpine secdb: https://secdb.alpinelinux.org/<v3.xx>/main.json
- CISA KEV: https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json

Downloads go to `<db dir>/feeds/`. A transfer writes `<file>.part`; an interrupted one is
resumed with an HTTP Range request (If-Range on the ETag) the next time. A finished file
is checked against Content-Length and, where the server sends one, its MD5
(x-goog-hash, Content-MD5); its sha256, ETag and size are recorded beside it, and an
unchanged feed (304 on If-None-Match) is not downloaded again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import http.client
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seawall import __version__
from seawall.errors import InputError, ServiceError

OSV_BASE = "https://osv-vulnerabilities.storage.googleapis.com"
DEBIAN_URL = "https://security-tracker.debian.org/tracker/data/json"
ALPINE_BASE = "https://secdb.alpinelinux.org"
KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"

DEFAULT_ECOSYSTEMS = (
    "Debian",
    "Ubuntu",
    "Alpine",
    "Red Hat",
    "Rocky Linux",
    "AlmaLinux",
    "PyPI",
    "npm",
    "Maven",
    "Go",
    "crates.io",
    "RubyGems",
    "NuGet",
    "Packagist",
)
ALPINE_RELEASES = ("v3.18", "v3.19", "v3.20", "v3.21", "v3.22")
_CHUNK = 1 << 16
_TIMEOUT = 60.0
_MAX_LENGTH_DIGITS = 18  # a byte count in a header; longer is a hostile or broken server
# The largest official feed is a few hundred MB: a server streaming without end (or
# announcing more) must not fill the disk.
MAX_DOWNLOAD = 4 << 30


@dataclass(frozen=True)
class Feed:
    """One file to download: where from, and its name in the feeds directory."""

    url: str  # without credentials: it appears in messages and in the .meta.json file
    filename: str
    # "Basic ..." for a feed base given as https://user:token@mirror/ (never printed)
    authorization: str | None = field(default=None, repr=False, compare=False)


def _split_credentials(base: str) -> tuple[str, str | None]:
    """(base URL without user:password@, the Authorization header value they make)."""
    if not base:
        return base, None
    try:
        parts = urllib.parse.urlsplit(base)
    except ValueError:
        raise InputError("feed base URL: not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("feed base URL: expected http://HOST[/PATH] or https://HOST[/PATH]")
    if parts.username is None and parts.password is None:
        return base, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        raise InputError("feed base URL: invalid port") from None
    netloc = host if port is None else f"{host}:{port}"
    user = urllib.parse.unquote(parts.username or "")
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)), f"Basic {token}"


class FeedMissing(ServiceError):
    """The server has no such feed (HTTP 404/410): skipped with a warning, not fatal."""


def plan_feeds(ecosystems: Sequence[str] | None = None, base: str | None = None) -> list[Feed]:
    """The feeds `db update` fetches for the chosen OSV ecosystems (default: all)."""
    base, authorization = _split_credentials(
        (base or os.environ.get("SEAWALL_FEED_BASE") or "").rstrip("/")
    )
    chosen = list(ecosystems) if ecosystems else list(DEFAULT_ECOSYSTEMS)
    for eco in chosen:
        # the name becomes a URL path segment and a file name under feeds/
        if not eco.strip() or "/" in eco or "\\" in eco or eco.startswith("."):
            raise InputError(f"--ecosystem {eco!r}: not an ecosystem name")
    lowered = {e.lower() for e in chosen}
    feeds: list[Feed] = []
    for eco in chosen:
        quoted = urllib.parse.quote(eco)
        url = f"{base}/osv/{quoted}/all.zip" if base else f"{OSV_BASE}/{quoted}/all.zip"
        feeds.append(Feed(url, f"osv-{eco.replace(' ', '_')}-all.zip", authorization))
    if "debian" in lowered:
        feeds.append(
            Feed(
                f"{base}/debian/json" if base else DEBIAN_URL, "debian-tracker.json", authorization
            )
        )
    if "alpine" in lowered:
        for release in ALPINE_RELEASES:
            url = (
                f"{base}/alpine/{release}/main.json"
                if base
                else f"{ALPINE_BASE}/{release}/main.json"
            )
            feeds.append(Feed(url, f"alpine-{release}-main.json", authorization))
    kev = f"{base}/kev/known_exploited_vulnerabilities.json" if base else KEV_URL
    feeds.append(Feed(kev, "kev.json", authorization))
    return feeds


def _unreachable(url: str) -> ServiceError:
    host = urllib.parse.urlsplit(url).hostname or url
    return ServiceError(f"cannot reach {host} (offline?)")


def _md5_value(text: str, url: str) -> bytes:
    try:
        digest = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise ServiceError(f"{url}: the server sent a malformed MD5 checksum header")
    return digest


def _expected_md5(headers: http.client.HTTPMessage, whole_body: bool, url: str) -> bytes | None:
    """The object's MD5: x-goog-hash (always the whole object), or Content-MD5 on a 200."""
    for value in headers.get_all("x-goog-hash") or []:
        for part in value.split(","):
            kind, _, digest = part.strip().partition("=")
            if kind == "md5":
                return _md5_value(digest, url)
    content_md5 = headers.get("Content-MD5")
    return _md5_value(content_md5, url) if content_md5 and whole_body else None


def _byte_count(text: str | None) -> int | None:
    """A Content-Length / Content-Range total, None when absent or not a plain number."""
    if not text:
        return None
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= _MAX_LENGTH_DIGITS):
        return None
    return int(text)


def _one_line(reason: object) -> str:
    return " ".join(str(reason).split())


def download(
    feed: Feed,
    directory: Path,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Path:
    """Fetch one feed into `directory` (resuming a .part file) and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    dest = directory / feed.filename
    part = directory / (feed.filename + ".part")
    meta_path = directory / (feed.filename + ".meta.json")
    meta: dict[str, object] = {}
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            meta = {}
    if meta.get("url") != feed.url:
        meta = {}
    headers = {"User-Agent": f"seawall/{__version__}", "Accept-Encoding": "identity"}
    offset = part.stat().st_size if part.is_file() else 0
    if offset and meta.get("part_etag"):
        headers["Range"] = f"bytes={offset}-"
        headers["If-Range"] = str(meta["part_etag"])
    elif offset:
        headers["Range"] = f"bytes={offset}-"
    elif dest.is_file() and meta.get("etag"):
        headers["If-None-Match"] = str(meta["etag"])
    request = urllib.request.Request(feed.url, headers=headers)
    if feed.authorization:
        # not sent on to wherever a redirect points
        request.add_unredirected_header("Authorization", feed.authorization)
    try:
        response = urllib.request.urlopen(request, timeout=_TIMEOUT)
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return dest
        if exc.code == 416 and offset:  # the part is stale or complete: start again
            part.unlink(missing_ok=True)
            return download(feed, directory, on_progress)
        if exc.code in (404, 410):
            raise FeedMissing(f"{feed.url}: HTTP {exc.code} {_one_line(exc.reason)}") from None
        raise ServiceError(f"{feed.url}: HTTP {exc.code} {_one_line(exc.reason)}") from None
    except (urllib.error.URLError, OSError):
        raise _unreachable(feed.url) from None
    with response:
        status = response.status
        etag = response.headers.get("ETag")
        length = response.headers.get("Content-Length")
        if status == 206:
            content_range = response.headers.get("Content-Range", "")
            total = _byte_count(content_range.rpartition("/")[2])
            mode = "ab"
        else:
            offset = 0
            total = _byte_count(length)
            mode = "wb"
        if total is not None and total > MAX_DOWNLOAD:
            part.unlink(missing_ok=True)
            raise ServiceError(f"{feed.url}: {total} bytes is more than the {MAX_DOWNLOAD} limit")
        md5 = _expected_md5(response.headers, status == 200, feed.url)
        meta.update({"url": feed.url, "part_etag": etag})
        meta_path.write_text(json.dumps(meta))
        received = offset
        try:
            with open(part, mode) as out:
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    received += len(chunk)
                    if received > MAX_DOWNLOAD:
                        break
                    if on_progress is not None:
                        on_progress(received, total)
        except (TimeoutError, http.client.IncompleteRead, OSError) as exc:
            raise ServiceError(
                f"download of {feed.url} interrupted after {received} bytes ({exc}); "
                "run `seawall db update` again to resume"
            ) from None
    if received > MAX_DOWNLOAD:
        part.unlink(missing_ok=True)
        raise ServiceError(f"{feed.url}: more than {MAX_DOWNLOAD} bytes: download discarded")
    if total is not None and received != total:
        raise ServiceError(
            f"download of {feed.url} interrupted after {received} of {total} bytes; "
            "run `seawall db update` again to resume"
        )
    sha256 = hashlib.sha256()
    whole_md5 = hashlib.md5(usedforsecurity=False)
    with open(part, "rb") as handle:
        while block := handle.read(1 << 20):
            sha256.update(block)
            whole_md5.update(block)
    if md5 is not None and whole_md5.digest() != md5:
        part.unlink(missing_ok=True)
        raise ServiceError(f"{feed.url}: checksum mismatch (MD5), download discarded")
    os.replace(part, dest)
    meta.update({"etag": etag, "size": received, "sha256": sha256.hexdigest(), "part_etag": None})
    meta_path.write_text(json.dumps(meta))
    return dest
