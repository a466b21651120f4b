"""`seawall db update` against hostile or demanding servers on 127.0.0.1: credentials in the
feed base, malformed checksum and length headers, bad feed-base URLs and ecosystem names."""

from __future__ import annotations

import base64
import contextlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from seawall_testlib import run_seawall, serving

SECRET = "s3cr3t-t0ken"


class _Server(http.server.ThreadingHTTPServer):
    def __init__(self, body: bytes, headers: dict[str, str], need_auth: str | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.body = body
        self.extra = headers
        self.need_auth = need_auth
        self.seen_auth: list[str | None] = []


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization")
        self.server.seen_auth.append(auth)
        if self.server.need_auth is not None and auth != self.server.need_auth:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="feeds"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if not self.path.endswith("/osv/PyPI/all.zip"):
            self.send_error(404)
            return
        # a Content-Range makes it a partial-content answer (as a resumed transfer gets)
        self.send_response(206 if "Content-Range" in self.server.extra else 200)
        for name, value in self.server.extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)


def _serve(
    body: bytes, headers: dict[str, str] | None = None, need_auth: str | None = None
) -> Iterator[_Server]:
    with serving(_Server(body, headers or {}, need_auth)) as server:
        yield server


def _all_zip(tmp_path: Path) -> bytes:
    record = (
        '{"id": "PYSEC-0000-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": '
        '{"ecosystem": "PyPI", "name": "demo"}, "ranges": [{"type": "ECOSYSTEM", '
        '"events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]}'
    )
    path = tmp_path / "all.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("PYSEC-0000-1.json", record)
    return path.read_bytes()


def _update(db: Path, base: str, *extra: str) -> tuple[int, str, str]:
    proc = run_seawall("db", "update", "--db", str(db), "-e", "PyPI", "--feed-base", base, *extra)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def test_credentials_in_the_feed_base_authenticate_and_are_never_shown(tmp_path: Path) -> None:
    want = "Basic " + base64.b64encode(f"mirror-user:{SECRET}".encode()).decode()
    db = tmp_path / "cache" / "advisories.db"
    for server in _serve(_all_zip(tmp_path), need_auth=want):
        base = f"http://mirror-user:{SECRET}@127.0.0.1:{server.server_port}"
        rc, out, err = _update(db, base)
        # before: urllib took "mirror-user:s3cr3t..." for a port and the user read
        # "cannot reach 127.0.0.1 (offline?)"
        assert rc == 0, err
        assert want in server.seen_auth
        assert "osv: 1 advisories" in out
        written = b"".join(p.read_bytes() for p in (db.parent / "feeds").iterdir())
        assert SECRET not in out + err and SECRET.encode() not in written
        # a wrong password: one line naming the feed without the credentials
        rc, out, err = _update(
            db, f"http://mirror-user:wrong-{SECRET}@127.0.0.1:{server.server_port}"
        )
        assert rc == 2
        assert "HTTP 401" in err and SECRET not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"x-goog-hash": "crc32c=AAAAAA==,md5=!!!notbase64"}, "malformed MD5 checksum header"),
        ({"Content-MD5": "AAAA"}, "malformed MD5 checksum header"),
    ],
)
def test_a_malformed_checksum_header_is_one_line_and_nothing_kept(
    tmp_path: Path, headers: dict[str, str], message: str
) -> None:
    db = tmp_path / "cache" / "advisories.db"
    for server in _serve(_all_zip(tmp_path), headers):
        rc, _out, err = _update(db, f"http://127.0.0.1:{server.server_port}")
        assert rc == 2, err
        assert "Traceback" not in err and message in err
        assert len(err.strip().splitlines()) == 1
        assert not db.exists()
        assert not (db.parent / "feeds" / "osv-PyPI-all.zip").exists()


def test_a_content_range_total_of_thousands_of_digits_is_ignored(tmp_path: Path) -> None:
    db = tmp_path / "cache" / "advisories.db"
    body = _all_zip(tmp_path)
    # before: int() of a 5,000-digit header raised ValueError (a traceback)
    for server in _serve(body, {"Content-Range": f"bytes 0-1/{'9' * 5000}"}):
        rc, out, err = _update(db, f"http://127.0.0.1:{server.server_port}")
        assert rc == 0, err
        assert "osv: 1 advisories" in out
        assert (db.parent / "feeds" / "osv-PyPI-all.zip").read_bytes() == body


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--feed-base", "file:///etc"), "feed base URL: expected http://"),
        (("--feed-base", "http://[::1"), "feed base URL: not a valid URL"),
        (("--feed-base", "http://a:b@127.0.0.1:port/"), "feed base URL: invalid port"),
        (("-e", "../../escape"), "--ecosystem '../../escape': not an ecosystem name"),
    ],
)
def test_bad_feed_base_or_ecosystem_is_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    proc = run_seawall("db", "update", "--db", str(tmp_path / "a.db"), *args)
    err = proc.stderr.decode()
    # before: a MarkupError traceback ("[/PATH]"), a ValueError traceback, or a feed file
    # written outside feeds/
    assert proc.returncode == 2
    assert err.strip() == f"seawall: error: {message}" or (
        err.startswith(f"seawall: error: {message}") and len(err.strip().splitlines()) == 1
    )
    assert not (tmp_path / "escape-all.zip").exists()


class _Endless(http.server.BaseHTTPRequestHandler):
    """No Content-Length, then bytes until the client goes away (a disk-filling mirror)."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        with contextlib.suppress(OSError):
            while True:
                self.wfile.write(b"x" * 65536)


def test_a_feed_larger_than_the_limit_is_discarded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seawall.errors import ServiceError
    from seawall.vulns import update

    monkeypatch.setattr(update, "MAX_DOWNLOAD", 1 << 20)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Endless)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        feed = update.Feed(f"http://127.0.0.1:{server.server_port}/osv/PyPI/all.zip", "f.zip")
        # before: the download went on until the disk was full
        with pytest.raises(ServiceError, match=r"more than 1048576 bytes: download discarded"):
            update.download(feed, tmp_path)
        assert list(tmp_path.iterdir()) == [tmp_path / "f.zip.meta.json"]
    finally:
        server.shutdown()
        server.server_close()
