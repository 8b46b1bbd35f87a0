"""File responses that honour HTTP Range, so that a media player can seek.

Django's FileResponse always sends the whole file; browsers need ``206 Partial Content`` to seek
in audio and video.
"""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Iterator
from pathlib import Path

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024


def _read(path: Path, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            block = handle.read(min(CHUNK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block


def ranged_file_response(
    request: HttpRequest,
    path: Path,
    *,
    filename: str | None = None,
    attachment: bool = False,
    content_type: str | None = None,
) -> HttpResponse:
    """``content_type``: what the file really is; without it, guessed from a name *we* chose.

    A name a user chose must never pick the type: ``page.html`` served inline is a page on our
    origin.
    """
    size = os.path.getsize(path)
    content_type = (
        content_type or mimetypes.guess_type(filename or str(path))[0] or "application/octet-stream"
    )
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.strip()) if header else None
    if not match or (not match.group(1) and not match.group(2)):
        # FileResponse closes the file when the response is done.
        response: HttpResponse = FileResponse(
            open(path, "rb"),  # noqa: SIM115
            content_type=content_type,
            as_attachment=attachment,
            filename=filename,
        )
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = match.groups()
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    else:  # "bytes=-N": the last N bytes
        start = max(0, size - int(last))
        end = size - 1
    if start >= size or start > end:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    length = end - start + 1
    response = StreamingHttpResponse(
        _read(path, start, length), status=206, content_type=content_type
    )
    response["Content-Length"] = str(length)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    if filename:
        # Quoted and encoded as Django's FileResponse does it: a quote or CR/LF in the name
        # cannot end the header or add another.
        response["Content-Disposition"] = content_disposition_header(attachment, filename)
    return response
