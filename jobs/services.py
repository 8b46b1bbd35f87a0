"""Writes that change a job's life. Views, admin, the CLI and the API all come through here."""

from __future__ import annotations

import hashlib
import logging
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from jobs.intake import rules
from jobs.models import Job, job_upload_path
from jobs.pipeline.cache import cached_source, copy_pictures
from jobs.pipeline.stages.fetch import too_large_picture
from jobs.selectors import active_jobs_count
from jobs.storage import objects
from jobs.storage.direct import Uploaded
from transcripts.media import MediaError, probe, too_long_message
from transcripts.models import Segment, Transcript
from transcripts.selectors import transcript_record
from transcripts.services import transcript_replace

logger = logging.getLogger(__name__)


def clean_original_name(name: str) -> str:
    """A file name safe to show: no path, no control or bidi-override characters, bounded length."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    banned = {
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
    }
    name = "".join(ch for ch in name if ch.isprintable() and ch not in banned).strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 190 - len(ext)] + "…" + dot + ext) if dot and len(ext) <= 8 else name[:200]
    return name or "upload"


class TooManyJobs(Exception):
    """The owner has as many queued and running jobs as one person may; ``str(exc)`` says so."""


def job_room_check(*, owner: AbstractBaseUser, adding: int = 1) -> None:
    """Raise ``TooManyJobs`` unless ``adding`` more jobs keep ``owner`` within
    ``LECTERN_MAX_ACTIVE_JOBS_PER_USER`` queued and running jobs.

    Inside a transaction the owner's row is locked first (on PostgreSQL), so that two requests
    at once cannot both take the last place.
    """
    limit = settings.MAX_ACTIVE_JOBS_PER_USER
    if transaction.get_connection().in_atomic_block:
        get_user_model().objects.select_for_update().filter(pk=owner.pk).exists()
    active = active_jobs_count(owner.pk)
    if active + adding <= limit:
        return
    if adding == 1:
        raise TooManyJobs(
            f"You have {active} jobs queued or running, the most one person may have at a time "
            f"({limit}). Add more when some have finished, or cancel some."
        )
    left = max(0, limit - active)
    raise TooManyJobs(
        f"This batch has {adding} files or links, but you have {active} jobs queued or running "
        f"and one person may have at most {limit} at a time: {left} more can be added now."
    )


def job_enqueue(job: Job) -> None:
    """Hand the job to a worker once the surrounding transaction has committed."""
    job_id = str(job.pk)
    transaction.on_commit(
        lambda: async_task("jobs.tasks.run_job", job_id, task_name=f"job-{job_id}")
    )


def _name_from_url(url: str) -> str:
    parts = urlsplit(url)
    return clean_original_name(f"{parts.netloc}{parts.path}".rstrip("/"))[:200]


def _hash_upload(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def job_create(
    *,
    owner: AbstractBaseUser,
    upload: UploadedFile | None = None,
    url: str = "",
    title: str = "",
    language: str = "auto",
    task: str = Job.Task.TRANSCRIBE,
    backend: str = "",
    model: str = "",
    prompt: str = "",
    highlights: bool | None = None,
    clip_layout: str = Job.ClipLayout.VERTICAL,
    diarize: bool = False,
    speakers: int | None = None,
    batch: uuid.UUID | None = None,
    uploaded: Uploaded | None = None,
) -> Job:
    """Create a job for an uploaded file, a link, or a file the browser put in the bucket
    (``uploaded``, from ``jobs.storage.direct.upload_take``); queue it (or finish it from the
    cache)."""
    if sum((upload is not None, bool(url), uploaded is not None)) != 1:
        raise ValueError("A job needs exactly one of an upload, a URL or a direct upload.")
    job_room_check(owner=owner)  # before an upload is hashed or copied; again when it is saved
    job = Job(
        owner=owner,
        title=title.strip()[:200],
        language=language or "auto",
        task=task,
        requested_backend=backend,
        model=model,
        prompt=prompt.strip(),
        highlights=highlights,
        clip_layout=clip_layout,
        diarize=diarize,
        speakers=speakers if diarize else None,
        batch=batch,
    )
    if url:
        job.source_kind = Job.Source.URL
        job.source_url = url
        job.original_name = _name_from_url(url)
        with transaction.atomic():
            job_room_check(owner=owner)
            job.save()
            job_enqueue(job)
        logger.info("job %s created by user %s from a link", job.pk, owner.pk)
        return job
    job.source_kind = Job.Source.UPLOAD
    if uploaded is not None:
        return _job_from_direct_upload(job, uploaded)
    job.original_name = clean_original_name(upload.name or "")
    # Hashed before the transaction: a large file must not hold the database's write lock.
    job.media_sha256 = _hash_upload(upload)
    with transaction.atomic():
        job_room_check(owner=owner)
        job.save()
        # Saved after the row exists so that the file lands in the job's own folder.
        job.media.save(upload.name or "upload", upload, save=False)
        job.media_size = job.media.size
        job.save(update_fields=["media", "media_size"])
        if not _finish_from_cache(job):
            job_enqueue(job)
    _note_length(job)
    logger.info("job %s created by user %s", job.pk, owner.pk)
    return job


def _job_from_direct_upload(job: Job, uploaded: Uploaded) -> Job:
    """The object moves into the job's folder (a copy by the server, then the upload goes): the
    job's id is known before its row is saved, so that no transaction waits on the copy. Its hash
    is left to the worker, which reads the bytes anyway (the cache of identical files then works
    there, not at upload)."""
    job.original_name = clean_original_name(uploaded.original_name)
    name = job_upload_path(job, job.original_name)
    objects.copy(uploaded.name, name)
    try:
        with transaction.atomic():
            job_room_check(owner=job.owner)
            job.media.name = name
            job.media_size = uploaded.size
            job.save()
            job_enqueue(job)
    except TooManyJobs:
        objects.delete(name)  # the upload itself stays, for its own sweep
        raise
    objects.delete(uploaded.name)
    logger.info("job %s created by user %s from a direct upload", job.pk, job.owner_id)
    return job


def _note_length(job: Job) -> None:
    """The upload's length (and whether it is a video) at once, so that a queued job has a time
    left before a worker takes it, and a file whose header is over a limit fails at once. Only a
    hint: the worker checks the file again (the decoded length, not the header's) and fails it
    there when it is not media; a header read, so outside the transaction."""
    if objects.on_bucket():
        return  # the bytes are in the bucket: the worker reads the length when it fetches them
    try:
        info = probe(Path(job.media.path))
    except MediaError:
        return
    queued = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED)
    limits = rules.limits()
    refusal = too_large_picture(info, limits.max_pixels)
    if info.duration > limits.max_duration:
        refusal = too_long_message(info.duration, limits.max_duration)
    if refusal and queued.update(
        status=Job.Status.FAILED,
        error=refusal,
        retryable=False,  # its bytes never change
        finished_at=timezone.now(),
        has_video=info.has_video,
    ):
        logger.info("job %s refused at upload: %s", job.pk, refusal)
        _announce(job)  # the owner's webhook hears of it as of any other ending
    else:
        queued.filter(duration__isnull=True).update(
            duration=info.duration or None, has_video=info.has_video
        )
    job.refresh_from_db()


def _announce(job: Job) -> None:
    """Email and webhook for a job that ended without a worker run."""
    job_id = str(job.pk)
    transaction.on_commit(
        lambda: async_task("jobs.tasks.announce_job", job_id, task_name=f"announce-{job_id}")
    )


def _finish_from_cache(job: Job) -> bool:
    """Identical media was transcribed before with the same settings: reuse it at once.

    Jobs that also want highlight clips still go to a worker, which reuses the transcript there.
    """
    if job.diarize:  # speakers are found by a worker
        return False
    source = cached_source(job, same_owner_and_title=True)
    if source is None:
        return False
    wants_highlights = source.has_video if job.highlights is None else job.highlights
    if wants_highlights:
        return False
    transcript_replace(
        job_id=job.pk, record=transcript_record(source.transcript).without_speakers()
    )
    copy_pictures(source, job)
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED,
        stage=Job.Stage.DONE,
        progress=100,
        started_at=now,
        finished_at=now,
        duration=source.duration,
        has_video=source.has_video,
        backend=source.backend,
        model_name=source.model_name,
        cached_from_hash=True,
        note=source.note,
    )
    job.refresh_from_db()
    _announce(job)
    return True


def job_create_batch(
    *,
    owner: AbstractBaseUser,
    uploads: list[UploadedFile] = (),
    urls: list[str] = (),
    uploaded: list[Uploaded] = (),
    **options: object,
) -> list[Job]:
    """One job per file or link, sharing a batch id when there is more than one. A batch that
    would take the owner past the cap on active jobs is refused whole (``TooManyJobs``)."""
    count = len(uploads) + len(urls) + len(uploaded)
    job_room_check(owner=owner, adding=count)
    batch = uuid.uuid4() if count > 1 else None
    jobs = [job_create(owner=owner, upload=upload, batch=batch, **options) for upload in uploads]
    jobs += [job_create(owner=owner, uploaded=item, batch=batch, **options) for item in uploaded]
    jobs += [job_create(owner=owner, url=url, batch=batch, **options) for url in urls]
    return jobs


def job_cancel(*, job: Job) -> bool:
    """Cancel a queued or running job; a running worker notices at its next progress write."""
    cancelled = Job.objects.filter(
        pk=job.pk, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
    ).update(status=Job.Status.CANCELLED, finished_at=timezone.now())
    job.refresh_from_db()
    if cancelled and job.batch:
        # Its batch's one email waits for the last job to end, which this may have been.
        job_id = str(job.pk)
        transaction.on_commit(lambda: async_task("jobs.tasks.announce_batch", job_id))
    return bool(cancelled)


@transaction.atomic
def job_retry(*, job: Job, within_cap: bool = True) -> bool:
    """Queue a failed or cancelled job again, from the start. ``within_cap``: its owner's cap
    on active jobs holds (``TooManyJobs``), except for staff acting in the admin."""
    if within_cap and job.status in (Job.Status.FAILED, Job.Status.CANCELLED):
        job_room_check(owner=job.owner)
    retried = (
        Job.objects.filter(pk=job.pk, status__in=[Job.Status.FAILED, Job.Status.CANCELLED])
        # A job that failed on its own file would fail the same way again.
        .exclude(status=Job.Status.FAILED, retryable=False)
        .update(
            status=Job.Status.QUEUED,
            stage=Job.Stage.QUEUED,
            progress=0,
            error="",
            error_detail="",
            note="",
            attempts=0,
            started_at=None,
            finished_at=None,
            notified_at=None,  # its new ending gets its own email
        )
    )
    if retried:
        Transcript.objects.filter(job=job).delete()
        job_enqueue(job)
    job.refresh_from_db()
    return bool(retried)


def job_delete(*, job: Job) -> None:
    """Delete a job with every file it owns (its folder, or its objects in the bucket)."""
    folder = job.media_dir()
    job_cancel(job=job)
    job.delete()
    objects.delete_job_files(folder)


def clips_refresh_captions(*, job: Job, start: float, end: float) -> list[int]:
    """Queue the clips that show [start, end] to be rendered again with the edited captions."""
    indexes = list(job.clips.filter(start__lt=end, end__gt=start).values_list("index", flat=True))
    if indexes:
        job_id = str(job.pk)
        transaction.on_commit(
            lambda: async_task(
                "jobs.tasks.rerender_clips", job_id, indexes, task_name=f"clips-{job_id}"
            )
        )
    return indexes


def job_rename_speakers(*, job: Job, names: dict[str, str]) -> dict[str, str]:
    """Give the speaker labels found ("S1") names ("Lecturer"); an empty name clears it."""
    labels = set(
        Segment.objects.filter(transcript__job=job)
        .exclude(speaker="")
        .values_list("speaker", flat=True)
    )
    current = dict(job.speaker_names or {})
    for label, name in names.items():
        if label not in labels:
            continue
        name = " ".join(name.split())[:64]
        if name:
            current[label] = name
        else:
            current.pop(label, None)
    job.speaker_names = current
    job.save(update_fields=["speaker_names"])
    return current
