"""Resumable, verified downloads with the standard library (urllib; no extra dependencies).

:func:`download` streams into ``<dest>.part`` next to the target (same folder, so the final
``os.replace`` is atomic), hashes while writing, reports ``progress(bytes_done, total)``
after every chunk and checks ``cancel`` before each one. A dropped connection keeps the
``.part`` and resumes with an HTTP ``Range`` request (automatically a few times, and again
on the next call); a server that ignores ``Range`` is handled by starting over. Size and
SHA-256 are checked where known; a file that fails the check is deleted. Every failure is a
:class:`DownloadError` with a message for the user.

Proxies: requests go through ``urllib.request.build_opener()``, whose ``ProxyHandler``
takes its settings from ``urllib.request.getproxies()`` — the ``http_proxy``,
``https_proxy`` and ``no_proxy`` environment variables, and the system settings on Windows
(registry) and macOS (System Configuration).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import os
import re
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Dict, Optional, Tuple, Union

from dictate import __version__
from dictate.errors import DownloadCancelled, DownloadError, ModelError

if TYPE_CHECKING:
    from dictate.models.catalog import CatalogEntry, CatalogFile
    from dictate.models.spec import ModelSpec
    from dictate.models.store import ModelStore

CHUNK_SIZE = 256 * 1024
DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY_S = 1.0
DEFAULT_TIMEOUT_S = 30.0
PART_SUFFIX = ".part"

ProgressCallback = Callable[[int, Optional[int]], None]
"""``progress(bytes_done, total)``; ``total`` is None while the size is unknown."""

CancelToken = Union[threading.Event, Callable[[], bool]]
"""A ``threading.Event`` (set it to cancel) or a callable returning True to cancel."""

_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)", re.IGNORECASE)


@dataclass(frozen=True)
class DownloadResult:
    """A finished download."""

    path: Path
    size: int
    sha256: str  # computed while downloading (store it where none was published)
    verified: bool  # True if it matched a published sha256
    reused: bool = False  # True if a complete file was already there


class _Dropped(Exception):
    """The connection broke off (or a resume could not continue): retry with resume."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Complete(Exception):
    """The ``.part`` already holds the whole file."""


class _Unreachable(Exception):
    """No connection could be made."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def part_path(dest: os.PathLike) -> Path:
    """The temporary file a download of ``dest`` is streamed into."""
    d = Path(dest)
    return d.with_name(d.name + PART_SUFFIX)


def checksum_path(dest: os.PathLike) -> Path:
    """``<dest>.sha256``: the sha256 a completed download had (``sha256sum`` format)."""
    dest = Path(dest)
    return dest.with_name(dest.name + ".sha256")


def _recorded_sha(dest: Path) -> Optional[str]:
    try:
        digest = checksum_path(dest).read_text(encoding="ascii").split()[0].lower()
    except (OSError, UnicodeDecodeError, IndexError):
        return None
    return digest if len(digest) == 64 else None


def discard_partial(dest: os.PathLike) -> None:
    """Delete a kept ``.part`` of ``dest`` (after a cancel, if the user does not want resume)."""
    with contextlib.suppress(FileNotFoundError):
        part_path(dest).unlink()


def _mb(n: Optional[int]) -> str:
    return "?" if n is None else f"{n / 1e6:.1f}"


def _need_mb(n: int) -> str:
    return f"{n / 1e6:.0f}" if n >= 10_000_000 else f"{max(n, 0) / 1e6:.1f}"


def _is_cancelled(cancel: Optional[CancelToken]) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def _sleep(seconds: float, cancel: Optional[CancelToken]) -> None:
    """Sleep, waking early (and returning) if cancelled."""
    if isinstance(cancel, threading.Event):
        cancel.wait(seconds)
        return
    end = time.monotonic() + seconds
    while not _is_cancelled(cancel):
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.1))


def _open_part(path: Path, append: bool) -> BinaryIO:
    """Open the ``.part`` file (a seam for tests simulating a full disk)."""
    return open(path, "ab" if append else "wb")  # noqa: SIM115 - closed by the caller


def _proxy_note(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        return f" (through proxy {proxy})"
    return ""


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, BaseException):
        text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    else:
        text = str(reason)
    return text


def check_free_space(folder: Path, need: int) -> None:
    """DownloadError if ``folder``'s disk has less than ``need`` bytes free."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if need > free:
        raise DownloadError(
            f"Not enough disk space in {folder}: need {_need_mb(need)} MB, "
            f"only {_need_mb(free)} MB free."
        )


def hash_file(path: Path, hasher: hashlib._Hash, cancel: Optional[CancelToken] = None) -> int:
    """Feed ``path`` into ``hasher``; returns its size."""
    n = 0
    with open(path, "rb") as f:
        while True:
            if _is_cancelled(cancel):
                raise DownloadCancelled(f"Download cancelled (while checking '{path}').")
            block = f.read(1 << 20)
            if not block:
                return n
            hasher.update(block)
            n += len(block)


def download(
    url: str,
    dest: os.PathLike,
    *,
    sha256: Optional[str] = None,
    size: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
    retries: int = DEFAULT_RETRIES,
    retry_delay: float = DEFAULT_RETRY_DELAY_S,
    timeout: float = DEFAULT_TIMEOUT_S,
    opener: Optional[urllib.request.OpenerDirector] = None,
) -> DownloadResult:
    """Download ``url`` to ``dest``, resuming a previous ``.part``, verifying size and sha256.

    ``size``/``sha256`` are the published values (None if unknown). If ``dest`` already
    exists and matches them, it is reused. A dropped connection is retried ``retries``
    times with ``Range`` resume, waiting ``retry_delay * attempt`` seconds; after that the
    ``.part`` is kept for the next call. Cancelling (``cancel``) raises DownloadCancelled and
    keeps the ``.part`` too (see :func:`discard_partial`). Proxies come from the environment
    and system settings (``urllib.request.getproxies``). Blocking: call it from a worker
    thread in the GUI.
    """
    dest = Path(dest)
    folder = dest.parent
    expected_sha = sha256.lower() if sha256 else None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"Cannot create the download folder '{folder}': {_reason(exc)}.") from exc
    reused = _reuse_existing(dest, size, expected_sha, cancel)
    if reused is not None:
        if progress:
            progress(reused.size, reused.size)
        return reused
    job = _Job(url, dest, expected_sha, size, progress, cancel, timeout,
               opener or urllib.request.build_opener())
    attempt = 0
    while True:
        try:
            return job.attempt()
        except _Unreachable as exc:
            if attempt == 0 or attempt >= retries:
                host = urllib.parse.urlsplit(url).hostname or url
                raise DownloadError(
                    f"Cannot reach {host}{_proxy_note(url)}: {exc.reason}; check your "
                    f"connection or proxy settings."
                ) from exc.__cause__
            last = exc.reason
        except _Dropped as exc:
            if attempt >= retries:
                kept = (
                    f"The partial file '{job.part}' is kept: try again to resume."
                    if job.part.exists() else "Try again."
                )
                raise DownloadError(
                    f"The download of {url} was interrupted ({exc.reason}) after "
                    f"{attempt + 1} tries, with {_mb(job.done)} of {_mb(job.total)} MB received. {kept}"
                ) from exc.__cause__
            last = exc.reason
        attempt += 1
        _sleep(retry_delay * attempt, cancel)
        if _is_cancelled(cancel):
            raise DownloadCancelled(f"Download of {url} cancelled (after: {last}).")


def _reuse_existing(
    dest: Path, size: Optional[int], sha: Optional[str], cancel: Optional[CancelToken]
) -> Optional[DownloadResult]:
    """A result for an already complete ``dest`` matching the published size/sha256.

    With nothing published, the sha256 recorded when this download completed stands in.
    """
    if not dest.is_file():
        return None
    expected = sha if sha is not None else _recorded_sha(dest)
    if expected is None and size is None:
        return None
    if size is not None and dest.stat().st_size != size:
        return None
    hasher = hashlib.sha256()
    n = hash_file(dest, hasher, cancel)
    digest = hasher.hexdigest()
    if expected is not None and digest != expected:
        return None
    return DownloadResult(dest, n, digest, verified=sha is not None, reused=True)


class _Job:
    """State of one download across its attempts."""

    def __init__(
        self,
        url: str,
        dest: Path,
        sha: Optional[str],
        size: Optional[int],
        progress: Optional[ProgressCallback],
        cancel: Optional[CancelToken],
        timeout: float,
        opener: urllib.request.OpenerDirector,
    ) -> None:
        self.url = url
        self.dest = dest
        self.part = part_path(dest)
        self.sha = sha
        self.size = size
        self.progress = progress
        self.cancel = cancel
        self.timeout = timeout
        self.opener = opener
        self.done = 0
        self.total: Optional[int] = size

    def attempt(self) -> DownloadResult:
        offset = self.part.stat().st_size if self.part.is_file() else 0
        if self.size is not None and offset > self.size:
            self._discard()
            offset = 0
        hasher = hashlib.sha256()
        if offset:
            hash_file(self.part, hasher, self.cancel)  # resume: the digest covers the whole file
        self.done = offset
        if self.size is not None and offset == self.size:
            return self._finish(hasher)
        if self.size is not None:
            check_free_space(self.dest.parent, self.size - offset)
        try:
            response, offset, hasher = self._open(offset, hasher)
        except _Complete:
            return self._finish(hasher)
        with response:
            return self._stream(response, offset, hasher)

    def _open(
        self, offset: int, hasher: hashlib._Hash
    ) -> Tuple[http.client.HTTPResponse, int, hashlib._Hash]:
        headers = {"User-Agent": f"dictate/{__version__}", "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        request = urllib.request.Request(self.url, headers=headers)
        try:
            response = self.opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            content_range = exc.headers.get("Content-Range", "") if exc.headers else ""
            with contextlib.suppress(Exception):
                exc.close()
            if exc.code == 416 and offset:
                # Our part is at least as long as the file: complete, or from another file.
                match = _CONTENT_RANGE.match(content_range)
                if match and match.group(3) != "*" and int(match.group(3)) == offset:
                    self.total = offset
                    raise _Complete() from None
                self._discard()
                raise _Dropped("the server refused to resume; starting over") from exc
            raise DownloadError(
                f"Download of {self.url} failed: HTTP {exc.code} {exc.reason}."
            ) from exc
        except urllib.error.URLError as exc:
            raise _Unreachable(_reason(exc)) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise _Dropped(_reason(exc)) from exc
        status = getattr(response, "status", None) or 200
        try:
            if status == 206:
                match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                start = int(match.group(1)) if match and match.group(1) else None
                if start != offset:
                    self._discard()
                    raise _Dropped("the server resumed at the wrong place; starting over")
                total = match.group(3) if match else "*"
                self.total = int(total) if total != "*" else self.size
            elif status == 200:
                if offset:  # the server ignored Range: it sends the whole file again
                    offset = 0
                    hasher = hashlib.sha256()
                    self.done = 0
                length = response.headers.get("Content-Length")
                self.total = int(length) if length and length.isdigit() else self.size
            else:
                raise DownloadError(f"Download of {self.url} failed: unexpected HTTP {status}.")
            if self.size is not None and self.total is not None and self.total != self.size:
                raise DownloadError(
                    f"Download of {self.url} failed: the server offers {self.total} bytes, "
                    f"expected {self.size} (size mismatch; wrong file or a broken mirror)."
                )
            if self.total is not None:
                check_free_space(self.dest.parent, self.total - offset)
        except BaseException:
            response.close()
            raise
        return response, offset, hasher

    def _stream(
        self, response: http.client.HTTPResponse, offset: int, hasher: hashlib._Hash
    ) -> DownloadResult:
        done = offset
        try:
            with _open_part(self.part, append=offset > 0) as f:
                while True:
                    if _is_cancelled(self.cancel):
                        raise DownloadCancelled(
                            f"Download of {self.url} cancelled; the partial file '{self.part}' "
                            f"is kept so the next download resumes."
                        )
                    try:
                        chunk = response.read(CHUNK_SIZE)
                    except (OSError, http.client.HTTPException) as exc:
                        raise _Dropped(_reason(exc)) from exc
                    if not chunk:
                        break
                    f.write(chunk)
                    hasher.update(chunk)
                    done += len(chunk)
                    self.done = done
                    if self.progress:
                        self.progress(done, self.total)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:  # network errors became _Dropped above: this is the disk
            if exc.errno == errno.ENOSPC:
                need = (self.total - done) if self.total is not None else None
                amount = f"need {_need_mb(need)} MB more" if need is not None else "need more"
                raise DownloadError(
                    f"Not enough disk space in {self.dest.parent}: {amount}. Free some space "
                    f"and try again (the download resumes)."
                ) from exc
            raise DownloadError(f"Cannot write '{self.part}': {_reason(exc)}.") from exc
        if self.total is not None and done < self.total:
            raise _Dropped("the connection closed early")
        return self._finish(hasher)

    def _finish(self, hasher: hashlib._Hash) -> DownloadResult:
        done = self.part.stat().st_size
        if self.size is not None and done != self.size:
            self._discard()
            raise DownloadError(
                f"Download of {self.url} has the wrong size: {done} bytes, expected {self.size} "
                f"(size mismatch). The file was deleted; try again."
            )
        digest = hasher.hexdigest()
        if self.sha is not None and digest != self.sha:
            self._discard()
            raise DownloadError(
                f"Download of {self.url} is corrupt: its sha256 is {digest}, expected {self.sha} "
                f"(checksum mismatch). The file was deleted; try again."
            )
        try:
            os.replace(self.part, self.dest)
        except OSError as exc:
            raise DownloadError(f"Cannot move the download to '{self.dest}': {_reason(exc)}.") from exc
        if self.sha is None:  # lets a later call reuse it although nothing is published
            with contextlib.suppress(OSError):
                checksum_path(self.dest).write_text(f"{digest}  {self.dest.name}\n", encoding="ascii")
        return DownloadResult(self.dest, done, digest, verified=self.sha is not None)

    def _discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.part.unlink()


# -- catalog entry → installed model ----------------------------------------------------

FileProgress = Callable[["CatalogFile", int, Optional[int]], None]
"""``progress(file, bytes_done, total)`` while downloading a catalog file."""


def install_from_catalog(
    entry_name: str,
    name: Optional[str] = None,
    *,
    download_dir: Optional[os.PathLike] = None,
    precision: str = "f32",
    with_scorer: bool = True,
    store: Optional[ModelStore] = None,
    progress: Optional[FileProgress] = None,
    file_done: Optional[Callable[[CatalogFile, DownloadResult], None]] = None,
    import_progress: Optional[Callable[[str, float], None]] = None,
    cancel: Optional[CancelToken] = None,
    retries: int = DEFAULT_RETRIES,
) -> ModelSpec:
    """Download a catalog entry's files, import them as model ``name``, record the source.

    ``name`` defaults to the entry's name and must not be installed yet (checked before
    anything is fetched). Files go to ``download_dir`` and stay there; without one they go
    to ``<data dir>/downloads`` and are deleted after a successful import (kept after a
    failure, so a retry resumes or reuses them). ``progress`` reports bytes per file,
    ``file_done`` each finished file (``result.verified`` is False where no sha256 was
    published), ``import_progress`` the importer's stages. ``model.json`` gets the URLs,
    the computed sums and the DeepSpeech version. Blocking; run it in a worker thread.
    """
    from dictate.models.catalog import get_entry
    from dictate.models.store import ModelStore, validate_name

    entry = get_entry(entry_name)
    store = store or ModelStore()
    name = validate_name(name or entry.name)
    if store.folder(name).exists():
        raise ModelError(
            f"A model named '{name}' is already installed. Remove it with "
            f"'dictate models remove {name}' or choose another name."
        )
    temporary = download_dir is None
    folder = store.root / "downloads" if download_dir is None else Path(download_dir).expanduser()
    files = [entry.model]
    if with_scorer and entry.scorer is not None:
        files.append(entry.scorer)
    results: Dict[str, DownloadResult] = {}
    for item in files:

        def report(done: int, total: Optional[int], item: CatalogFile = item) -> None:
            if progress is not None:
                progress(item, done, total)

        result = download(item.url, folder / item.filename, sha256=item.sha256, size=item.size,
                          progress=report, cancel=cancel, retries=retries)
        results[item.kind] = result
        if file_done is not None:
            file_done(item, result)
    if _is_cancelled(cancel):
        raise DownloadCancelled(f"Installing '{name}' cancelled before the import.")
    from dictate.models.importer import import_model  # the converter loads only now

    model, scorer = results["model"], results.get("scorer")
    spec = import_model(
        model.path,
        name=name,
        precision=precision,
        scorer=scorer.path if scorer else None,
        store=store,
        progress=import_progress,
        source_sha256=model.sha256,
    )
    spec = record_source(store, spec.name, entry, model.sha256, scorer.sha256 if scorer else None)
    if temporary:
        for result in results.values():
            for path in (result.path, checksum_path(result.path)):
                with contextlib.suppress(OSError):
                    path.unlink()
        with contextlib.suppress(OSError):
            folder.rmdir()
    return spec


def record_source(
    store: ModelStore,
    name: str,
    entry: CatalogEntry,
    model_sha256: str,
    scorer_sha256: Optional[str],
) -> ModelSpec:
    """Add where a downloaded model came from to its ``model.json`` (URLs, sums, version)."""
    from dictate.models.store import write_spec_atomic

    spec = store.get(name)
    spec.source.setdefault("sha256", model_sha256)
    spec.source["url"] = entry.model.url
    spec.source["catalog"] = entry.name
    if scorer_sha256 is not None and entry.scorer is not None:
        spec.source["scorer_url"] = entry.scorer.url
        spec.source["scorer_sha256"] = scorer_sha256
    if spec.deepspeech_version is None:
        spec.deepspeech_version = entry.version
    write_spec_atomic(spec, store.folder(name))
    return spec
