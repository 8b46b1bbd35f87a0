"""Reuse of transcripts across identical media (same bytes, model, options and prompt).

The reused transcript is stored again for the new job (by the one writer,
``transcripts.services.transcript_replace``), so each user owns and may edit their own copy.
Across users the reuse happens in the worker, after the job has fetched, extracted and read its
own media like any other (its poster and slides are its own): nothing on the page, in a message or
in the pictures tells the second user that someone uploaded the file first. At upload, a job is
answered at once only from its owner's own earlier job of the same title.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings

from jobs.models import Job
from jobs.storage import objects
from transcripts import backends
from transcripts.backends.base import BackendError, TranscribeOptions


def cache_key(job: Job) -> tuple[str, str] | None:
    """(backend, model) that would transcribe this job now, or None when none is available."""
    try:
        backend = backends.chosen(job.requested_backend or None)
    except BackendError:
        return None
    if backend is None:
        return None
    options = TranscribeOptions(
        language=job.transcription_language, task=job.task, model=job.model or None
    )
    return backend.name, backend.model_name(options)


def cached_source(
    job: Job, *, prompt_sha256: str = "", same_owner_and_title: bool = False
) -> Job | None:
    """An earlier finished job with the same media bytes, model, options and prompt, if any,
    whose transcript nobody has edited.

    ``same_owner_and_title``: only the owner's own jobs of the same title and prompt (the
    caller's own, ``Job.prompt``), for reuse before the
    prompt is known (at upload; the slides, which make the rest of the prompt, come from the
    bytes). A worker, which knows the prompt, may reuse anyone's: the job runs its course like
    any other, and only the transcription is skipped.
    """
    key = cache_key(job)
    if not job.media_sha256 or key is None:
        return None
    backend, model = key
    matches = Job.objects.filter(
        media_sha256=job.media_sha256,
        status=Job.Status.SUCCEEDED,
        language=job.language,
        task=job.task,
        backend=backend,
        model_name=model,
        transcript__isnull=False,
    )
    if same_owner_and_title:
        matches = matches.filter(owner_id=job.owner_id, title=job.title, prompt=job.prompt)
    else:
        matches = matches.filter(transcript__prompt_sha256=prompt_sha256)
    return (
        matches.exclude(pk=job.pk)
        # Only what the model said: an owner's edits are theirs, and may say who they are.
        .exclude(transcript__segments__edited=True)
        .select_related("transcript")
        .order_by("-finished_at")
        .first()
    )


def copy_pictures(source: Job, job: Job) -> None:
    """The source's poster frame and slide pictures, copied into ``job``'s own folder.

    They were made from the same media bytes, so they say nothing about who uploaded them; copied,
    not shared, so that deleting one job leaves the other whole.
    """
    root = Path(settings.MEDIA_ROOT)
    source_folder = source.media_path().resolve()

    def copy(name: str, relative: str) -> str | None:
        if objects.on_bucket():
            # Inside the bucket, by the server; only names from the source's own folder.
            target = f"{job.media_dir()}/{relative}"
            if not name.startswith(f"{source.media_dir()}/") or ".." in name:
                return None
            if objects.size(name) is None:
                return None
            objects.copy(name, target)
            return target
        original = (root / name).resolve()
        if not name or not original.is_relative_to(source_folder) or not original.is_file():
            return None
        target = job.media_path() / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, target)
        return f"{job.media_dir()}/{relative}"

    fields: list[str] = []
    if source.poster and (poster := copy(source.poster.name, "poster.jpg")):
        job.poster.name = poster
        fields.append("poster")
    slides = []
    for slide in (source.analysis or {}).get("slides") or []:
        if isinstance(slide, dict):
            name = str(slide.get("image") or "")
            image = copy(name, f"slides/{Path(name).name}")
            if image:
                slides.append({**slide, "image": image})
    if slides:
        job.analysis = {**(job.analysis or {}), "slides": slides}
        fields.append("analysis")
    if fields:
        job.save(update_fields=fields)
