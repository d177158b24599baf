"""Downloads against a real HTTP server on 127.0.0.1: resume, bad servers, checksums, disk, cancel."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest

from dictate.errors import DownloadCancelled, DownloadError
from dictate.models import catalog
from dictate.models import download as dl
from dictate.models.download import download, part_path

BODY = os.urandom(1_000_003)  # a few chunks of dl.CHUNK_SIZE
SHA = hashlib.sha256(BODY).hexdigest()


class Server:
    """Serves ``files`` (path → bytes) with switchable misbehaviour; logs each request."""

    def __init__(self, files: Dict[str, bytes]) -> None:
        self.files = files
        self.ranges = True  # honour Range with 206 (else answer 200 with the whole body)
        self.drops = 0  # this many responses stop halfway, then the connection closes
        self.status: Optional[int] = None  # answer every request with this error status
        self.requests: List[Tuple[str, Optional[str]]] = []  # (path as sent, Range header)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _handler(self) -> type:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append((self.path, self.headers.get("Range")))
                if server.status:
                    self.send_error(server.status)
                    return
                path = urllib.parse.urlsplit(self.path).path  # absolute when used as a proxy
                if path.startswith("/redirect/"):
                    self.send_response(302)
                    self.send_header("Location", path[len("/redirect"):])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = server.files.get(path)
                if body is None:
                    self.send_error(404)
                    return
                start = 0
                wanted = self.headers.get("Range")
                if wanted and server.ranges:
                    start = int(wanted.split("=")[1].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                payload = body[start:]
                if server.drops > 0:
                    server.drops -= 1
                    payload = payload[: len(payload) // 2]
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

        return Handler

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Requests to 127.0.0.1 must not go through a proxy configured on the test machine."""
    for var in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)
    monkeypatch.setenv("DICTATE_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def server() -> Iterator[Server]:
    with Server({"/files/model.bin": BODY}) as s:
        yield s


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "downloads" / "model.bin"


def fetch(server: Server, dest: Path, **kwargs: object) -> dl.DownloadResult:
    kwargs.setdefault("retry_delay", 0.0)
    kwargs.setdefault("timeout", 10.0)
    return download(server.url(kwargs.pop("path", "/files/model.bin")), dest, **kwargs)  # type: ignore[arg-type]


def test_download_verifies_and_reports_progress(server: Server, dest: Path) -> None:
    seen: List[Tuple[int, Optional[int]]] = []
    result = fetch(server, dest, sha256=SHA, size=len(BODY), progress=lambda d, t: seen.append((d, t)))
    assert dest.read_bytes() == BODY
    assert (result.path, result.size, result.sha256, result.verified) == (dest, len(BODY), SHA, True)
    assert not part_path(dest).exists()
    assert len(seen) > 2 and seen[-1] == (len(BODY), len(BODY))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert server.requests == [("/files/model.bin", None)]


def test_unpublished_checksum_is_computed(server: Server, dest: Path) -> None:
    result = fetch(server, dest)
    assert dest.read_bytes() == BODY
    assert result.sha256 == SHA and not result.verified


def test_complete_file_is_reused(server: Server, dest: Path) -> None:
    fetch(server, dest, sha256=SHA)
    again = fetch(server, dest, sha256=SHA)
    assert again.reused and again.verified
    assert len(server.requests) == 1


def test_complete_file_without_published_checksum_is_reused(server: Server, dest: Path) -> None:
    first = fetch(server, dest)
    assert dl.checksum_path(dest).read_text() == f"{SHA}  {dest.name}\n"
    again = fetch(server, dest)
    assert again.reused and not again.verified and again.sha256 == first.sha256
    assert len(server.requests) == 1
    dest.write_bytes(b"something else")  # not what was downloaded: fetched again
    assert not fetch(server, dest).reused and dest.read_bytes() == BODY


def test_dropped_connection_resumes_with_range(server: Server, dest: Path) -> None:
    server.drops = 1
    result = fetch(server, dest, sha256=SHA, size=len(BODY))
    assert dest.read_bytes() == BODY and result.sha256 == SHA
    assert len(server.requests) == 2
    assert server.requests[0][1] is None
    assert server.requests[1][1] == f"bytes={len(BODY) // 2}-"


def test_resume_after_giving_up_and_unknown_checksum(server: Server, dest: Path) -> None:
    server.drops = 10
    with pytest.raises(DownloadError, match="interrupted.*try again to resume") as info:
        fetch(server, dest, retries=2)
    assert re.search(r"after 3 tries, with 0\.\d of 1\.0 MB received", str(info.value))
    assert not dest.exists()
    kept = part_path(dest).stat().st_size
    assert 0 < kept < len(BODY)

    server.drops = 0
    server.requests.clear()
    result = fetch(server, dest)
    assert dest.read_bytes() == BODY
    assert result.sha256 == SHA  # the resumed part was re-hashed
    assert server.requests == [("/files/model.bin", f"bytes={kept}-")]


def test_server_ignoring_range_restarts_cleanly(server: Server, dest: Path) -> None:
    server.ranges = False
    dest.parent.mkdir(parents=True)
    part_path(dest).write_bytes(b"\x00" * 300_000)  # a stale part with wrong bytes
    result = fetch(server, dest, sha256=SHA, size=len(BODY))
    assert server.requests[0][1] == "bytes=300000-"  # it asked to resume ...
    assert dest.read_bytes() == BODY  # ... got the whole file, and started over
    assert result.verified


def test_drop_then_server_ignores_range(server: Server, dest: Path) -> None:
    server.drops = 1
    server.ranges = False
    result = fetch(server, dest, sha256=SHA)
    assert dest.read_bytes() == BODY and result.verified
    assert server.requests[1][1] is not None


def test_complete_part_is_finished_without_downloading_again(server: Server, dest: Path) -> None:
    dest.parent.mkdir(parents=True)
    part_path(dest).write_bytes(BODY)
    fetch(server, dest, sha256=SHA, size=len(BODY))
    assert dest.read_bytes() == BODY and server.requests == []
    # size unknown: the server answers 416 and the part turns out complete
    dest.unlink()
    part_path(dest).write_bytes(BODY)
    result = fetch(server, dest)
    assert dest.read_bytes() == BODY and result.sha256 == SHA
    assert server.requests == [("/files/model.bin", f"bytes={len(BODY)}-")]


def test_wrong_checksum_deletes_the_file(server: Server, dest: Path) -> None:
    with pytest.raises(DownloadError, match="checksum mismatch"):
        fetch(server, dest, sha256="0" * 64)
    assert not dest.exists() and not part_path(dest).exists()


def test_size_mismatch(server: Server, dest: Path) -> None:
    with pytest.raises(DownloadError, match="size mismatch"):
        fetch(server, dest, size=len(BODY) + 1)
    assert not dest.exists()


@pytest.mark.parametrize("status", [404, 500])
def test_http_errors_name_status_and_url(server: Server, dest: Path, status: int) -> None:
    server.status = status
    url = server.url("/files/model.bin")
    with pytest.raises(DownloadError, match=f"HTTP {status}") as info:
        fetch(server, dest)
    assert url in str(info.value)
    assert not dest.exists() and not part_path(dest).exists()


def test_missing_file_is_404(server: Server, dest: Path) -> None:
    with pytest.raises(DownloadError, match="nothing.bin failed: HTTP 404"):
        fetch(server, dest, path="/files/nothing.bin")


def test_redirect_is_followed(server: Server, dest: Path) -> None:
    result = fetch(server, dest, path="/redirect/files/model.bin", sha256=SHA)
    assert result.verified and dest.read_bytes() == BODY


def test_connection_refused(dest: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="Cannot reach 127.0.0.1.*check your connection or proxy"):
        download(f"http://127.0.0.1:{port}/x.bin", dest, retry_delay=0.0)
    assert not dest.exists()


def test_dns_failure(dest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(DownloadError, match="Cannot reach github.com: Name or service not known"):
        download("https://github.com/x.bin", dest, retry_delay=0.0)


def test_proxy_from_environment_is_used(server: Server, dest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", server.url(""))
    result = download("http://mirror.example.invalid/files/model.bin", dest, sha256=SHA)
    assert result.verified
    assert server.requests[0][0] == "http://mirror.example.invalid/files/model.bin"


def test_unreachable_proxy_is_named(dest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{port}")
    with pytest.raises(DownloadError, match="through proxy http://127.0.0.1"):
        download("http://mirror.example.invalid/m.bin", dest, retry_delay=0.0)


class FullDisk:
    """A file whose writes fail like a full disk after ``room`` bytes."""

    def __init__(self, path: Path, append: bool, room: int) -> None:
        self.f = open(path, "ab" if append else "wb")  # noqa: SIM115
        self.room = room

    def write(self, data: bytes) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.f.write(data)

    def flush(self) -> None:
        self.f.flush()

    def fileno(self) -> int:
        return self.f.fileno()

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.f.close()


def test_full_disk_while_writing(server: Server, dest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dl, "_open_part", lambda path, append: FullDisk(path, append, dl.CHUNK_SIZE))
    with pytest.raises(DownloadError, match=r"Not enough disk space in .*downloads: need 0\.7 MB more"):
        fetch(server, dest, sha256=SHA, size=len(BODY))
    assert not dest.exists()


def test_full_disk_checked_before_starting(
    server: Server, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda p: real(p)._replace(free=100_000))
    with pytest.raises(DownloadError, match=r"Not enough disk space in .*downloads: need 1\.0 MB"):
        fetch(server, dest, size=len(BODY))
    assert server.requests == []  # refused before asking
    # size not published: refused as soon as the server says how big it is
    with pytest.raises(DownloadError, match="Not enough disk space"):
        fetch(server, dest)
    assert not dest.exists() and not part_path(dest).exists()


def test_cancel_with_event_keeps_the_part(server: Server, dest: Path) -> None:
    stop = threading.Event()

    def progress(done: int, total: Optional[int]) -> None:
        stop.set()

    with pytest.raises(DownloadCancelled, match="cancelled"):
        fetch(server, dest, progress=progress, cancel=stop)
    assert not dest.exists()
    assert part_path(dest).stat().st_size == dl.CHUNK_SIZE
    dl.discard_partial(dest)
    assert not part_path(dest).exists()


def test_cancel_with_callable(server: Server, dest: Path) -> None:
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(DownloadCancelled):
        fetch(server, dest, cancel=cancelled)
    assert not dest.exists()


def test_cancel_from_another_thread(server: Server, dest: Path) -> None:
    stop = threading.Event()
    errors: List[BaseException] = []
    started = threading.Event()

    def progress(done: int, total: Optional[int]) -> None:
        started.set()
        stop.wait(5)  # hold the download until the test cancels it

    def worker() -> None:
        try:
            fetch(server, dest, progress=progress, cancel=stop)
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    assert started.wait(5)
    stop.set()
    t.join(5)
    assert len(errors) == 1 and isinstance(errors[0], DownloadCancelled)


def test_catalog_urls_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(catalog.BASE_URL_ENV, raising=False)
    entry = catalog.get_entry("deepspeech-0.9.3")
    assert entry.model.url == (
        "https://github.com/mozilla/DeepSpeech/releases/download/v0.9.3/deepspeech-0.9.3-models.tflite"
    )
    assert entry.model.size == 47_331_784 and entry.model.sha256 is None
    assert entry.scorer is not None and entry.scorer.size == 953_363_776
    old = catalog.get_entry("deepspeech-0.8.2")
    assert old.model.sha256 == "f1ad4347b276b7f0f35bc47954feb7240fad913f3a1b85605628ab6d6209b0c9"
    assert old.scorer is not None and old.scorer.sha256.startswith("d0cf926a")
    assert catalog.get_entry("deepspeech-0.9.3-pbmm").model.filename == "deepspeech-0.9.3-models.pbmm"
    assert entry.download_size() == 47_331_784 + 953_363_776
    monkeypatch.setenv(catalog.BASE_URL_ENV, "http://127.0.0.1:8000/mirror/")
    assert entry.model.url == "http://127.0.0.1:8000/mirror/v0.9.3/deepspeech-0.9.3-models.tflite"
    with pytest.raises(DownloadError, match="choose one of: deepspeech-0.9.3"):
        catalog.get_entry("deepspeech-9")
