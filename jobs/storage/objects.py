"""A job's files on object storage: names, signed download URLs, copies and deletion.

The storage is Django's default one: ``FileSystemStorage`` under ``MEDIA_ROOT`` on the embedded
default, django-storages' ``S3Storage`` when ``AWS_STORAGE_BUCKET_NAME`` is set. The callers ask
``on_bucket()`` and take one of two paths; names are the same on both (``jobs/<id>/source.mp4``),
so that a job's row means the same thing wherever its files are.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.utils.http import content_disposition_header

logger = logging.getLogger(__name__)


def bucket() -> Any | None:
    """The default storage when it is a bucket (django-storages' S3 storage), else None."""
    storage: Storage = storages["default"]
    return storage if getattr(storage, "bucket_name", None) else None


def on_bucket() -> bool:
    return bucket() is not None


def _storage() -> Any:
    storage = bucket()
    if storage is None:
        raise RuntimeError("The default storage is not a bucket.")
    return storage


def key(name: str) -> str:
    """The object key of a storage name (django-storages puts ``location`` in front)."""
    location = (_storage().location or "").strip("/")
    return f"{location}/{name}" if location else name


def client() -> Any:
    """boto3's S3 client of the storage (one a thread, as django-storages keeps its connection)."""
    return _storage().connection.meta.client


def signing_client() -> Any:
    """The client that signs URLs for browsers: for the public endpoint when one is set."""
    storage = _storage()
    public = settings.LECTERN_S3_PUBLIC_ENDPOINT_URL
    if not public or public == storage.endpoint_url:
        return client()
    return _public_client(
        public,
        storage.region_name,
        storage.access_key,
        storage.secret_key,
        storage.addressing_style,
    )


@cache
def _public_client(
    endpoint: str, region: str | None, access: str | None, secret: str | None, style: str | None
) -> Any:
    # Local: boto3 costs every process a third of a second at start-up, and only this path
    # (a public endpoint apart from the servers') builds a client of its own.
    import boto3
    from botocore.config import Config

    # Signing makes no request: the client only needs the host the browser will use.
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        config=Config(signature_version="s3v4", s3={"addressing_style": style or "auto"}),
    )


def public_origin() -> str:
    """The bucket's origin as browsers reach it (scheme and host of a signed URL), for the CSP."""
    storage = _storage()
    return _origin(
        storage.bucket_name, storage.endpoint_url, settings.LECTERN_S3_PUBLIC_ENDPOINT_URL
    )


@cache
def _origin(bucket_name: str, endpoint: str | None, public: str) -> str:
    url = signing_client().generate_presigned_url(
        "get_object", Params={"Bucket": bucket_name, "Key": "origin"}, ExpiresIn=10
    )
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def signed_url(
    name: str,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    attachment: bool = False,
) -> str:
    """A short-lived GET URL of one object. Call it only after the owner check.

    The type and the disposition are set by the signature, not by what the object was stored
    with: a file a user uploaded is never served as a type they chose.
    """
    storage = _storage()
    params: dict[str, str] = {"Bucket": storage.bucket_name, "Key": key(name)}
    params["ResponseContentType"] = content_type or "application/octet-stream"
    if attachment or filename:
        params["ResponseContentDisposition"] = content_disposition_header(
            attachment, filename or Path(name).name
        )
    return signing_client().generate_presigned_url(
        "get_object", Params=params, ExpiresIn=settings.LECTERN_SIGNED_URL_SECONDS
    )


def upload(path: Path, name: str, *, content_type: str | None = None) -> None:
    """Put a local file at ``name`` (boto3's managed transfer: in parts when large)."""
    storage = _storage()
    extra = {"ContentType": content_type} if content_type else {}
    client().upload_file(str(path), storage.bucket_name, key(name), ExtraArgs=extra or None)


def download(name: str, path: Path) -> Path:
    """Fetch ``name`` into the local file ``path`` (written whole or not at all by boto3)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    client().download_file(_storage().bucket_name, key(name), str(path))
    return path


def copy(source: str, target: str) -> None:
    """A copy inside the bucket (the server copies, in parts past 5 GB; no bytes pass here)."""
    bucket_name = _storage().bucket_name
    client().copy({"Bucket": bucket_name, "Key": key(source)}, bucket_name, key(target))


def size(name: str) -> int | None:
    """The object's size in bytes, or None when there is no such object."""
    try:
        head = client().head_object(Bucket=_storage().bucket_name, Key=key(name))
    except client().exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return int(head["ContentLength"])


def delete(name: str) -> None:
    client().delete_object(Bucket=_storage().bucket_name, Key=key(name))


def delete_prefix(prefix: str, *, select: Callable[[str, datetime], bool] | None = None) -> int:
    """Every object under ``prefix/`` and every unfinished multipart upload there; how many.

    With ``select(key, when)`` only those it picks (``when``: the object's last change, or the
    upload's start, as the server reports them).
    """
    storage = _storage()
    s3 = client()
    folder = key(prefix.rstrip("/")) + "/"
    removed = 0
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=storage.bucket_name, Prefix=folder
    ):
        objects = [
            {"Key": item["Key"]}
            for item in page.get("Contents", [])
            if select is None or select(item["Key"], item["LastModified"])
        ]
        if objects:  # at most 1000 a page, as DeleteObjects takes them
            s3.delete_objects(
                Bucket=storage.bucket_name, Delete={"Objects": objects, "Quiet": True}
            )
            removed += len(objects)
    for page in s3.get_paginator("list_multipart_uploads").paginate(
        Bucket=storage.bucket_name, Prefix=folder
    ):
        for upload in page.get("Uploads", []):
            if select is None or select(upload["Key"], upload["Initiated"]):
                s3.abort_multipart_upload(
                    Bucket=storage.bucket_name, Key=upload["Key"], UploadId=upload["UploadId"]
                )
                removed += 1
    return removed


def delete_job_files(folder: str) -> None:
    """A job's files, wherever they are: its objects in the bucket, or its folder on disk."""
    if on_bucket():
        removed = delete_prefix(folder)
        logger.info("removed %s objects and unfinished uploads under %s/", removed, folder)
    else:
        shutil.rmtree(Path(settings.MEDIA_ROOT) / folder, ignore_errors=True)
