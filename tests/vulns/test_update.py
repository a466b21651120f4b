"""`seawall db update` against a real HTTP server on 127.0.0.1 (Range-capable)."""

from __future__ import annotations

import base64
import hashlib
import http.server
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from seawall_testlib import run_seawall, serving
from vulns_db_helpers import VULNS, pypi_json_records, zip_records


class FeedServer(http.server.ThreadingHTTPServer):
    """Serves `root`; honours Range/If-Range; can cut the first transfer of a file."""

    def __init__(self, root: Path, cut: str | None = None, bad_md5: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), FeedHandler)
        self.root = root
        self.cut = cut
        self.bad_md5 = bad_md5
        self.log: list[tuple[str, str | None]] = []


class FeedHandler(http.server.BaseHTTPRequestHandler):
    server: FeedServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.log.append((self.path, self.headers.get("Range")))
        path = (self.server.root / self.path.lstrip("/")).resolve()
        if not path.is_file() or self.server.root not in path.parents:
            self.send_error(404)
            return
        data = path.read_bytes()
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        start = 0
        ranged = self.headers.get("Range")
        if ranged and self.headers.get("If-Range", etag) == etag:
            start = int(ranged.removeprefix("bytes=").split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("ETag", etag)
        digest = hashlib.md5(b"other" if self.server.bad_md5 else data).digest()
        self.send_header("x-goog-hash", "crc32c=AAAAAA==,md5=" + base64.b64encode(digest).decode())
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        body = data[start:]
        if self.server.cut and self.path.endswith(self.server.cut):
            self.server.cut = None
            body = body[: len(body) // 2]  # the connection drops half way
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


def _serve(root: Path, cut: str | None = None, bad_md5: bool = False) -> Iterator[FeedServer]:
    with serving(FeedServer(root, cut, bad_md5)) as server:
        yield server


@pytest.fixture
def feed_root(tmp_path: Path) -> Path:
    root = tmp_path / "feeds"
    (root / "osv" / "PyPI").mkdir(parents=True)
    (root / "kev").mkdir()
    records = tmp_path / "records"
    records.mkdir()
    zip_records(root / "osv" / "PyPI" / "all.zip", pypi_json_records(records))
    (root / "kev" / "known_exploited_vulnerabilities.json").write_bytes(
        (VULNS / "kev" / "known_exploited_vulnerabilities.json").read_bytes()
    )
    return root


def test_interrupted_download_resumes_with_range(feed_root: Path, tmp_path: Path) -> None:
    db = tmp_path / "cache" / "advisories.db"
    for server in _serve(feed_root, cut="all.zip"):
        base = f"http://127.0.0.1:{server.server_port}"
        args = ("db", "update", "--db", str(db), "-e", "PyPI", "--feed-base", base)
        first = run_seawall(*args)
        assert first.returncode == 2
        assert b"interrupted" in first.stderr and b"resume" in first.stderr
        assert not db.exists()
        part = db.parent / "feeds" / "osv-PyPI-all.zip.part"
        size = (feed_root / "osv" / "PyPI" / "all.zip").stat().st_size
        assert 0 < part.stat().st_size < size
        second = run_seawall(*args)
        assert second.returncode == 0, second.stderr
        assert ("/osv/PyPI/all.zip", f"bytes={part_size_of(server)}-") in server.log
        assert b"osv: 151 advisories" in second.stdout
        assert b"kev: 1404" in second.stdout
        assert (db.parent / "feeds" / "osv-PyPI-all.zip").stat().st_size == size
        # unchanged feeds are not downloaded again (ETag / If-None-Match -> 304 or 200)
        status = run_seawall("db", "status", "--db", str(db))
        assert b"advisories:      151" in status.stdout


def part_size_of(server: FeedServer) -> int:
    ranges = [r for p, r in server.log if p.endswith("all.zip") and r]
    return int(ranges[0].removeprefix("bytes=").rstrip("-"))


def test_offline_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = run_seawall(
        "db",
        "update",
        "--db",
        str(tmp_path / "a.db"),
        "-e",
        "PyPI",
        "--feed-base",
        f"http://127.0.0.1:{port}",
    )
    assert proc.returncode == 2
    err = proc.stderr.decode().strip()
    assert err == "seawall: error: cannot reach 127.0.0.1 (offline?)"


def test_checksum_mismatch_discards_the_download(feed_root: Path, tmp_path: Path) -> None:
    db = tmp_path / "cache" / "advisories.db"
    for server in _serve(feed_root, bad_md5=True):
        base = f"http://127.0.0.1:{server.server_port}"
        proc = run_seawall("db", "update", "--db", str(db), "-e", "PyPI", "--feed-base", base)
        assert proc.returncode == 2
        assert b"checksum mismatch" in proc.stderr
        assert not db.exists()
        assert not list((db.parent / "feeds").glob("osv-PyPI-all.zip*.part"))


def test_missing_feeds_are_skipped_with_a_warning(feed_root: Path, tmp_path: Path) -> None:
    import json

    import yaml

    secdb = yaml.safe_load((VULNS / "alpine" / "v3.15-main.yaml").read_text())
    secdb["distroversion"] = "v3.19"
    (feed_root / "alpine" / "v3.19").mkdir(parents=True)
    (feed_root / "alpine" / "v3.19" / "main.json").write_text(json.dumps(secdb))
    db = tmp_path / "cache" / "advisories.db"
    for server in _serve(feed_root):
        base = f"http://127.0.0.1:{server.server_port}"
        proc = run_seawall(
            "db", "update", "--db", str(db), "-e", "Alpine", "-e", "PyPI", "--feed-base", base
        )
        assert proc.returncode == 0, proc.stderr
        err = " ".join(proc.stderr.decode().split())
        assert "skipped a feed the server does not have" in err and "osv/Alpine/all.zip" in err
        assert b"alpine-secdb: " in proc.stdout
        again = run_seawall(
            "db", "update", "--db", str(db), "-e", "PyPI", "--feed-base", base, "--format", "json"
        )
        assert again.returncode == 0, again.stderr
        doc = json.loads(again.stdout)
        assert doc["schema"] == "seawall.db-import/v1"
        assert {s["source"] for s in doc["sources"]} >= {"osv"}
        status = run_seawall("db", "status", "--db", str(db), "--format", "json")
        ecosystems = json.loads(status.stdout)["ecosystems"]
        assert ecosystems["Alpine:v3.19"] > 0 and ecosystems["PyPI"] > 0
