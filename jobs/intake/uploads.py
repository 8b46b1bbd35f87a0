"""Upload handling that enforces the limits while the bytes arrive, not after.

Per file (``MAX_UPLOAD_MB``), per request (``MAX_BATCH`` files, ``MAX_REQUEST_MB`` in all): a
request over any of them is cut off at the byte that crosses it, so nothing much past the limit
ever reaches the disk. Temporary files live in ``FILE_UPLOAD_TEMP_DIR``; a web process killed in the
middle of an upload leaves its file there, and the next upload sweeps away files nobody has written
to for ``STALE_AFTER`` seconds.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler

from jobs.intake.rules import limits
from jobs.pipeline.stages.fetch import examine
from transcripts.media import MediaError

logger = logging.getLogger(__name__)

STALE_AFTER = 3600  # seconds without a write: no live upload is that slow
_SWEEP_EVERY = 60
_last_sweep = 0.0
_sweep_lock = threading.Lock()


def sweep_stale_temp_files(folder: Path | None = None, *, now: float | None = None) -> int:
    """Remove upload temp files not written for ``STALE_AFTER`` seconds; returns how many."""
    folder = Path(folder or settings.FILE_UPLOAD_TEMP_DIR or "")
    if not folder.is_dir():
        return 0
    now = time.time() if now is None else now
    removed = 0
    for entry in os.scandir(folder):
        try:
            if entry.is_file() and now - entry.stat().st_mtime > STALE_AFTER:
                os.unlink(entry.path)
                removed += 1
        except OSError:  # another process took it first
            continue
    if removed:
        logger.info("removed %s stale upload temp files from %s", removed, folder)
    return removed


def _sweep_now_and_then() -> None:
    global _last_sweep
    with _sweep_lock:
        if time.monotonic() - _last_sweep < _SWEEP_EVERY:
            return
        _last_sweep = time.monotonic()
    sweep_stale_temp_files()


def refusal_message(request: object) -> str | None:
    """Why the handler cut the request off, for the form or the API (None when it did not)."""
    return getattr(request, "upload_refusal", None)


def media_problem(upload: UploadedFile) -> str | None:
    """Why the worker would refuse this upload (not media, no sound, too long), said before it is
    queued and in the worker's own words; None when it is fit to transcribe.

    It reads the file's headers where the upload handler left it (a temporary file), within the
    request's own limits: probing does not decode the recording.
    """
    with upload_on_disk(upload) as path:
        try:
            examine(path, limits())
        except MediaError as exc:
            return str(exc)
    return None


@contextmanager
def upload_on_disk(upload: UploadedFile) -> Iterator[Path]:
    """The upload as a file to probe: where the upload handler left it (a temporary file), or a
    copy of it for the block's duration when it was kept in memory (another upload handler)."""
    try:
        path = Path(upload.temporary_file_path())  # type: ignore[attr-defined]
    except AttributeError:
        path = None
    if path is not None:
        yield path
        return
    with tempfile.NamedTemporaryFile(prefix="lectern-probe-") as spare:
        for chunk in upload.chunks():
            spare.write(chunk)
        spare.flush()
        upload.seek(0)
        yield Path(spare.name)


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Streams uploads to temporary files and aborts as soon as a limit is crossed.

    The aborted request still reaches the view, which sees no file and reports the limit.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):  # type: ignore[no-untyped-def]
        self.files_seen = 0
        self.request_bytes = 0
        self.received = 0
        _sweep_now_and_then()
        # A declared length over the request limit is refused before a byte is written.
        self.declared_too_large = bool(content_length) and content_length > _request_limit()
        return super().handle_raw_input(input_data, META, content_length, boundary, encoding)

    def new_file(self, *args, **kwargs) -> None:
        self.files_seen = getattr(self, "files_seen", 0) + 1
        if getattr(self, "declared_too_large", False):
            self._refuse(f"The upload is larger than the {settings.MAX_REQUEST_MB} MB limit.")
        if self.files_seen > settings.MAX_BATCH:
            self._refuse(f"At most {settings.MAX_BATCH} files or links at once.", size=False)
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        self.request_bytes = getattr(self, "request_bytes", 0) + len(raw_data)
        if self.received > settings.MAX_UPLOAD_MB * 1024 * 1024:
            self._refuse(f"A file is larger than the {settings.MAX_UPLOAD_MB} MB upload limit.")
        if self.request_bytes > _request_limit():
            self._refuse(f"The upload is larger than the {settings.MAX_REQUEST_MB} MB limit.")
        return super().receive_data_chunk(raw_data, start)

    def _refuse(self, message: str, *, size: bool = True) -> None:
        file = getattr(self, "file", None)
        if file is not None:
            file.close()  # a NamedTemporaryFile: closing it deletes it
        self.request.upload_too_large = size
        self.request.upload_refusal = message
        raise StopUpload(connection_reset=True)


def _request_limit() -> int:
    return settings.MAX_REQUEST_MB * 1024 * 1024
