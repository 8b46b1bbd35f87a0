from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from jobs import services
from jobs.models import Job


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def job_from_file(owner, path: Path, *, name: str | None = None, **options) -> Job:
    return services.job_create(
        owner=owner, upload=upload(name or path.name, path.read_bytes()), **options
    )


def job_from_bytes(owner, name: str, data: bytes, **options) -> Job:
    return services.job_create(owner=owner, upload=upload(name, data), **options)
