"""Reads that take some thought: every job lookup for a user goes through here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from jobs.highlights.chapters import Chapter, chapters
from jobs.highlights.timeline import timeline_svg
from jobs.models import Clip, Job
from transcripts import exports
from transcripts.models import Segment


def jobs_for_user(user: AbstractBaseUser, *, status: str = "") -> QuerySet[Job]:
    """The user's jobs, newest first; only those in ``status`` when given."""
    jobs = Job.objects.filter(owner=user).select_related("transcript").order_by("-created_at")
    return jobs.filter(status=status) if status else jobs


def job_for_user(user: AbstractBaseUser, job_id: object) -> Job:
    """The user's job, or 404, never revealing whether someone else's job exists."""
    try:
        return Job.objects.select_related("owner").get(pk=job_id, owner=user)
    except (Job.DoesNotExist, ValueError):
        raise Http404("No such job.") from None


# Realtime factor assumed before this machine has finished a job with the backend and model.
DEFAULT_REALTIME_FACTOR = 4.0


def measured_realtime_factor(backend: str = "", model: str = "") -> float:
    """Median speed (seconds of audio per second) of recent finished jobs on this backend/model."""
    jobs = Job.objects.filter(status=Job.Status.SUCCEEDED, realtime_factor__gt=0)
    if backend:
        jobs = jobs.filter(backend=backend, model_name=model)
    factors = sorted(jobs.order_by("-finished_at").values_list("realtime_factor", flat=True)[:25])
    if not factors and backend:
        return measured_realtime_factor()
    return factors[len(factors) // 2] if factors else DEFAULT_REALTIME_FACTOR


def queue_position(job: Job) -> int | None:
    """1 for the next job a worker will take; None when the job is not waiting."""
    if job.status != Job.Status.QUEUED:
        return None
    ahead = Job.objects.filter(status=Job.Status.QUEUED, created_at__lt=job.created_at).count()
    return ahead + 1


def _remaining_audio(job: Job) -> float:
    duration = job.duration or 0.0
    if job.status == Job.Status.RUNNING:
        return duration * (1 - job.progress / 100)
    return duration


def eta_seconds(job: Job, *, workers: int = 1) -> float | None:
    """A rough estimate of the seconds until the job is done, from this machine's own speed."""
    if not job.is_active or not job.duration:
        return None
    speed = measured_realtime_factor(job.backend, job.model_name)
    audio = _remaining_audio(job)
    if job.status == Job.Status.QUEUED:
        # Jobs ahead in the queue and those running share the workers with this one.
        ahead = Job.objects.filter(
            status__in=[Job.Status.QUEUED, Job.Status.RUNNING], created_at__lt=job.created_at
        ).only("status", "duration", "progress")
        audio += sum(_remaining_audio(other) for other in ahead) / max(1, workers)
    return audio / speed


@dataclass
class Highlights:
    clips: list[Clip]
    chapters: list[Chapter]
    chapters_text: str
    timeline: SafeString


def highlights_of(job: Job) -> Highlights:
    """The job's clips, chapters and timeline picture (empty when it has no highlights)."""
    analysis = job.analysis or {}
    clips = list(job.clips.all())
    topics = analysis.get("topics") or []
    duration = job.duration or 0.0
    found = chapters(topics, duration=duration) if topics else None
    timeline = ""
    if topics or clips:
        # Safe: timeline_svg escapes every text it writes.
        timeline = mark_safe(
            timeline_svg(
                duration,
                silences=[tuple(pause) for pause in analysis.get("silences") or []],
                topics=topics,
                clips=[
                    {"start": c.start, "end": c.end, "title": c.title, "rank": c.index + 1}
                    for c in clips
                ],
                title=f"Timeline of {job.display_name}",
            )
        )
    return Highlights(
        clips=clips,
        chapters=found.chapters if found else [],
        chapters_text=found.text if found else "",
        timeline=timeline,
    )


def transcript_export(job: Job, fmt: str) -> str:
    """The job's transcript in ``fmt`` (txt, srt, vtt, json, rttm), with the speaker names its
    owner gave.

    Raises Http404 when the job has no transcript yet. Pages and the API both download through here.
    """
    transcript = getattr(job, "transcript", None)
    if transcript is None:
        raise Http404("This job has no transcript yet.")
    meta: dict[str, object] = {}
    if fmt == "json":
        # What the speech check found, so that API users see it as the page shows it.
        meta["extra"] = {
            "languages": transcript.languages,
            "speech_seconds": transcript.speech_seconds,
            "missing_speech": transcript.missing_speech,
            "removed_segments": transcript.removed_segments,
        }
    if fmt == "rttm":
        meta["uri"] = Path(job.display_name).stem  # RTTM's file id names the recording
    return exports.render(
        fmt,
        list(transcript.segments.all()),
        language=transcript.language,
        duration=transcript.duration,
        backend=job.backend,
        model=job.model_name,
        speaker_names=job.speaker_names or None,
        **meta,
    )


def export_filename(job: Job, fmt: str) -> str:
    """The download name of a job's file: its title, made safe, with ``fmt`` as extension."""
    stem = slugify(Path(job.display_name).stem)[:80] or "transcript"
    return f"{stem}.{fmt}"


def clip_file(job: Job, index: int, kind: str) -> tuple[Path, str]:
    """A clip's video (``kind`` "mp4") or thumbnail ("jpg") on disk and its download name, or 404."""
    field = {"mp4": "file", "jpg": "thumbnail"}.get(kind)
    clip = job.clips.filter(index=index).first()
    stored = getattr(clip, field) if clip is not None and field else None
    if not stored:
        raise Http404("No such clip.")
    path = Path(stored.path)
    if not path.exists():
        raise Http404("The clip file is gone.")
    return path, f"{export_filename(job, kind).rsplit('.', 1)[0]}-clip-{index + 1}.{kind}"


@dataclass(frozen=True)
class Draft:
    lines: list[Segment]  # the last lines decoded, in order
    count: int  # all lines decoded so far


def transcript_draft(job: Job, *, last: int = 8) -> Draft:
    """What transcription has decoded so far, while the job runs (or before it failed)."""
    if job.status == Job.Status.SUCCEEDED:
        return Draft([], 0)
    rows = Segment.objects.filter(transcript__job=job)
    lines = list(rows.order_by("-index")[:last])[::-1]
    return Draft(lines, rows.count() if lines else 0)
