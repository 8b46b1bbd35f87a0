"""Uploads that go from the browser straight to the bucket, then become a job.

1. ``upload_start``: after the login, the page asks for a signed request for one file of a given
   size. Up to ``LECTERN_MULTIPART_PART_MB`` it is one signed POST whose policy carries the size
   limit (``content-length-range``: the bucket refuses a byte more); past it, an S3 multipart
   upload with one signed URL a part, each signed for its exact length (``Content-Length`` is a
   signed header), so that the parts add up to the size asked for, which is within the limit.
2. The browser sends the bytes to the bucket, showing its progress, and for a multipart upload
   asks ``upload_complete`` to join the parts.
3. ``upload_take`` turns the signed token into the object, checked once more (owner, size), and
   ``jobs.services.job_create`` moves it into the job's folder.

An upload never turned into a job (a closed tab, a refused form) is removed by ``sweep_abandoned``,
which the every-minute sweep runs: objects under ``uploads/`` and unfinished multipart uploads older
than ``LECTERN_UPLOAD_ABANDON_SECONDS``.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from jobs.models import safe_extension
from jobs.storage import objects

logger = logging.getLogger(__name__)

PREFIX = "uploads"
_SALT = "lectern.direct-upload"
MAX_PARTS = 10_000  # S3's own limit


class UploadRefused(Exception):
    """A direct upload that cannot be accepted, with a sentence for the user."""


@dataclass(frozen=True)
class Uploaded:
    """A finished direct upload: its object, the name the user gave the file, and its size."""

    name: str  # storage name, under uploads/
    original_name: str
    size: int


def _max_bytes() -> int:
    return settings.MAX_UPLOAD_MB * 1024 * 1024


def _part_bytes() -> int:
    return settings.LECTERN_MULTIPART_PART_MB * 1024 * 1024


def upload_start(*, user_id: int, filename: str, size: int) -> dict[str, object]:
    """The signed request(s) for one file, and the token that later names it."""
    if not objects.on_bucket():
        raise UploadRefused("Direct uploads need object storage.")
    if size <= 0:
        raise UploadRefused(f"{filename[:80]} is empty (0 bytes).")
    if size > _max_bytes():
        raise UploadRefused(
            f"{filename[:80]} is larger than the {settings.MAX_UPLOAD_MB} MB limit."
        )
    # The time in the name lets the sweeper date an upload whatever its server reports.
    started = int(timezone.now().timestamp())
    name = f"{PREFIX}/{user_id}/{started}-{uuid.uuid4().hex}{safe_extension(filename)}"
    storage = objects.bucket()
    signer = objects.signing_client()
    seconds = settings.LECTERN_SIGNED_URL_SECONDS
    claims: dict[str, object] = {"name": name, "user": user_id, "file": filename[:255]}
    if size <= _part_bytes():
        post = signer.generate_presigned_post(
            storage.bucket_name,
            objects.key(name),
            Conditions=[["content-length-range", 1, _max_bytes()]],
            ExpiresIn=seconds,
        )
        request: dict[str, object] = {
            "method": "post",
            "url": post["url"],
            "fields": post["fields"],
        }
    else:
        part = max(_part_bytes(), math.ceil(size / MAX_PARTS))
        count = math.ceil(size / part)
        created = objects.client().create_multipart_upload(
            Bucket=storage.bucket_name, Key=objects.key(name)
        )
        claims["upload_id"] = created["UploadId"]
        parts = []
        for number in range(1, count + 1):
            length = min(part, size - (number - 1) * part)
            url = signer.generate_presigned_url(
                "upload_part",
                Params={
                    "Bucket": storage.bucket_name,
                    "Key": objects.key(name),
                    "UploadId": created["UploadId"],
                    "PartNumber": number,
                    "ContentLength": length,  # signed: a part of another length is refused
                },
                ExpiresIn=seconds,
            )
            parts.append({"number": number, "url": url, "size": length})
        request = {"method": "multipart", "parts": parts}
    return {"token": signing.dumps(claims, salt=_SALT), **request}


def _claims(user_id: int, token: str) -> dict[str, object]:
    try:
        claims = signing.loads(token, salt=_SALT, max_age=settings.LECTERN_UPLOAD_ABANDON_SECONDS)
    except signing.BadSignature:
        raise UploadRefused("This upload is unknown or too old; upload the file again.") from None
    if claims.get("user") != user_id:
        raise UploadRefused("This upload is unknown or too old; upload the file again.")
    return claims


def upload_complete(*, user_id: int, token: str, etags: list[str]) -> None:
    """Join the parts of a multipart upload (their ETags, in order)."""
    claims = _claims(user_id, token)
    if "upload_id" not in claims:
        return  # a single POST needs no joining
    objects.client().complete_multipart_upload(
        Bucket=objects.bucket().bucket_name,
        Key=objects.key(str(claims["name"])),
        UploadId=claims["upload_id"],
        MultipartUpload={
            "Parts": [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, 1)]
        },
    )


def upload_take(*, user_id: int, token: str) -> Uploaded:
    """The finished upload a token names, checked: the user's own, there, and within the limit."""
    claims = _claims(user_id, token)
    name = str(claims["name"])
    size = objects.size(name)
    if size is None:
        raise UploadRefused("The upload did not arrive; upload the file again.")
    if size > _max_bytes():  # a server that does not enforce the signed policy
        objects.delete(name)
        raise UploadRefused(f"The file is larger than the {settings.MAX_UPLOAD_MB} MB limit.")
    return Uploaded(name=name, original_name=str(claims.get("file") or "upload"), size=size)


def _started(key: str, reported: datetime) -> datetime:
    """When an upload began: from its name (``<epoch>-<uuid>``), else what the server reports
    (some S3 servers report a fixed date for unfinished multipart uploads)."""
    stamp = key.rsplit("/", 1)[-1].split("-", 1)[0]
    if stamp.isdigit():
        return datetime.fromtimestamp(int(stamp), tz=UTC)
    return reported


def sweep_abandoned(*, now: datetime | None = None) -> int:
    """Remove direct uploads older than ``LECTERN_UPLOAD_ABANDON_SECONDS``; how many."""
    if not objects.on_bucket():
        return 0
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.LECTERN_UPLOAD_ABANDON_SECONDS)
    removed = objects.delete_prefix(
        PREFIX, select=lambda key, reported: _started(key, reported) < cutoff
    )
    if removed:
        logger.info("removed %s abandoned direct uploads", removed)
    return removed
