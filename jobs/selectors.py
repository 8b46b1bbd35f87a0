"""Reads that take some thought: every job lookup for a user goes through here."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from jobs.highlights.chapters import Chapter, chapters
from jobs.highlights.timeline import timeline_svg
from jobs.models import Clip, Job
from jobs.pipeline import plans
from transcripts import exports
from transcripts.models import Segment


def fair_queue(*, prefer: object = None, limit: int = 5) -> list[object]:
    """The ids of the queued jobs a free worker should take next, best first.

    Fair between owners, so that one user's backlog delays another user's first job by one job
    at most: owners with fewer running jobs first, then the owner served longest ago (whose last
    job started earliest, or never), then that owner's oldest job (each owner's jobs run in the
    order they came). Owners tied on both (two people never served) go in the order of their
    oldest job, except that the owner of ``prefer`` (the job whose task asks) goes first.
    """
    mine = Job.objects.filter(owner=OuterRef("owner")).order_by()
    running = (
        mine.filter(status=Job.Status.RUNNING).values("owner").annotate(n=Count("pk")).values("n")
    )
    served = mine.filter(started_at__isnull=False).order_by("-started_at").values("started_at")
    queued = Job.objects.filter(status=Job.Status.QUEUED).annotate(
        owner_running=Coalesce(Subquery(running, output_field=IntegerField()), Value(0)),
        owner_served=Subquery(served[:1]),
    )
    ties: list[Any] = []
    if prefer is not None:
        owner = Job.objects.filter(pk=prefer).values_list("owner_id", flat=True).first()
        queued = queued.annotate(
            other_owner=Case(When(owner_id=owner, then=Value(0)), default=Value(1))
        )
        ties.append("other_owner")
    order = ["owner_running", F("owner_served").asc(nulls_first=True), *ties, "created_at"]
    return list(queued.order_by(*order).values_list("pk", flat=True)[:limit])


def active_jobs_count(user_id: object) -> int:
    """The owner's queued and running jobs: what ``LECTERN_MAX_ACTIVE_JOBS`` caps."""
    return Job.objects.filter(
        owner_id=user_id, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
    ).count()


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


# Until this server has finished a job, guesses; its own measured history replaces them.
# Seconds of audio transcribed per second of work (about what faster-whisper's base does on 2 cores).
DEFAULT_REALTIME_FACTOR = 4.0
# Seconds of work per second of audio for every stage but transcription (fetching, extracting,
# storing; with highlights also the layout, topics and rendering the clips), keyed by highlights.
DEFAULT_OTHER_STAGES = {False: 0.03, True: 0.4}
# How many recent finished jobs a speed is the median of, and how many rows are read for them.
HISTORY, HISTORY_ROWS = 25, 300


@dataclass(frozen=True)
class Estimate:
    queue_position: int | None  # 1 for the next job a worker takes; None when not waiting
    seconds_left: float | None  # until the job is done, the wait in the queue included


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _plan(job: Job) -> list[tuple[str, int]]:
    """The stages the runner will take this job through, with their share of the progress bar."""
    if job.wants_highlights:
        return plans.PLAN_HIGHLIGHTS
    return plans.PLAN_TRANSCRIPT_SLIDES if job.has_video else plans.PLAN_TRANSCRIPT


class Estimator:
    """Queue positions and times left for any number of jobs, from one read of the history
    (finished jobs on this server) and one of the queue.

    A job's time is estimated per stage: transcription from the measured speed of its backend
    and model (the one it runs on, or for a queued job the one it asked for, LECTERN_BACKEND, or
    the one this server used last), and the other stages from how long the rest of the work took
    on recent jobs of the same kind (with highlights or without), per second of audio. A queued
    job also waits for the work ahead of it, shared among the workers: the running jobs, and the
    queued jobs the workers' fair order (``fair_queue``) takes before it.
    """

    def __init__(self, *, workers: int = 1) -> None:
        self.workers = max(1, workers)
        finished = Job.objects.filter(
            status=Job.Status.SUCCEEDED,
            realtime_factor__gt=0,
            duration__gt=0,
            started_at__isnull=False,
            finished_at__isnull=False,
        ).order_by("-finished_at")
        self.history = list(
            finished.only(
                "backend", "model_name", "realtime_factor", "duration", "started_at",
                "finished_at", "has_video", "highlights",
            )[:HISTORY_ROWS]
        )  # fmt: skip
        active = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        self.active = list(
            active.order_by("created_at").only(
                "status", "stage", "progress", "duration", "backend", "model_name",
                "requested_backend", "model", "has_video", "highlights", "created_at", "owner",
            )
        )  # fmt: skip
        self.rank = self._fair_ranks()
        self._speeds: dict[tuple[str, str], float] = {}
        self._others: dict[bool, float] = {}

    def _fair_ranks(self) -> dict[object, int]:
        """Each queued job's place in the order the workers will take them: a round over the
        owners (fewer running jobs first, then the one served longest ago), one job each, then
        the next round; each owner's jobs in the order they came (as ``fair_queue`` picks)."""
        queued: dict[object, list[Job]] = defaultdict(list)
        for job in self.active:
            if job.status == Job.Status.QUEUED:
                queued[job.owner_id].append(job)
        if not queued:
            return {}
        running = Counter(j.owner_id for j in self.active if j.status == Job.Status.RUNNING)
        served = dict(
            Job.objects.filter(owner_id__in=list(queued), started_at__isnull=False)
            .values("owner_id")
            .annotate(last=Max("started_at"))
            .values_list("owner_id", "last")
        )
        owners = sorted(
            queued,
            key=lambda owner: (
                running[owner],
                served.get(owner) is not None,
                served.get(owner) or queued[owner][0].created_at,
                queued[owner][0].created_at,
            ),
        )
        order = [
            jobs[turn].pk
            for turn in range(max(len(jobs) for jobs in queued.values()))
            for jobs in (queued[owner] for owner in owners)
            if turn < len(jobs)
        ]
        return {pk: index for index, pk in enumerate(order)}

    def backend_of(self, job: Job) -> tuple[str, str]:
        """The backend and model the job runs on, or will most likely run on."""
        if job.backend:
            return job.backend, job.model_name
        backend = job.requested_backend or settings.LECTERN_BACKEND
        if not backend and self.history:
            backend = self.history[0].backend
        return backend, job.model

    def realtime_factor(self, backend: str, model: str = "") -> float:
        """Median speed of recent jobs on this backend and model; of the backend's other models,
        then of any backend, when it has no history of its own."""
        key = (backend, model)
        if key not in self._speeds:
            rows = self.history
            for matches in (
                [j for j in rows if backend and j.backend == backend and j.model_name == model],
                [j for j in rows if backend and j.backend == backend],
                rows,
            ):
                if matches:
                    self._speeds[key] = _median([j.realtime_factor for j in matches[:HISTORY]])
                    break
            else:
                self._speeds[key] = DEFAULT_REALTIME_FACTOR
        return self._speeds[key]

    def other_stages(self, highlights: bool) -> float:
        """Seconds of work per second of audio outside transcription, for jobs of this kind."""
        if highlights not in self._others:
            ratios = []
            for job in self.history:
                if job.wants_highlights != highlights:
                    continue
                wall = (job.finished_at - job.started_at).total_seconds()
                ratios.append(max(0.0, wall - job.duration / job.realtime_factor) / job.duration)
                if len(ratios) == HISTORY:
                    break
            self._others[highlights] = (
                _median(ratios) if ratios else DEFAULT_OTHER_STAGES[highlights]
            )
        return self._others[highlights]

    def work_left(self, job: Job) -> float | None:
        """Seconds of work the job itself still needs, stage by stage; None without a duration."""
        if not job.is_active or not job.duration:
            return None
        transcribing = job.duration / self.realtime_factor(*self.backend_of(job))
        other = job.duration * self.other_stages(job.wants_highlights)
        plan = _plan(job)
        spans = plans.spans(plan)
        low, high = spans[plans.TRANSCRIBE]
        # The other stages' share that comes before transcription, by the runner's weights.
        before = other * low / max(1, low + 100 - high)
        after = other - before
        order = [name for name, _ in plan]
        if job.status == Job.Status.QUEUED or job.stage not in order:
            return before + transcribing + after
        here = order.index(job.stage)
        first, last = spans[job.stage]
        done = min(1.0, max(0.0, (job.progress - first) / max(1, last - first)))
        if here < order.index(plans.TRANSCRIBE):
            return before * (1 - job.progress / max(1, low)) + transcribing + after
        if job.stage == plans.TRANSCRIBE:
            return transcribing * (1 - done) + after
        return after * max(0.0, 1 - (job.progress - high) / max(1, 100 - high))

    def estimate(self, job: Job) -> Estimate:
        if not job.is_active:
            return Estimate(None, None)
        own = self.work_left(job)
        if job.status != Job.Status.QUEUED:
            return Estimate(None, own)
        # Running jobs hold workers now; queued ones are taken in the fair order.
        mine = self.rank.get(job.pk, len(self.rank))
        ahead = [
            other
            for other in self.active
            if other.pk != job.pk
            and (
                other.status == Job.Status.RUNNING or self.rank.get(other.pk, len(self.rank)) < mine
            )
        ]
        position = 1 + sum(1 for other in ahead if other.status == Job.Status.QUEUED)
        if own is None:
            return Estimate(position, None)
        wait = sum(self.work_left(other) or 0.0 for other in ahead) / self.workers
        return Estimate(position, wait + own)


def estimate(job: Job, *, workers: int = 1) -> Estimate:
    """One job's queue position and time left (for many, build one ``Estimator``)."""
    return Estimator(workers=workers).estimate(job)


@dataclass
class Highlights:
    clips: list[Clip]
    chapters: list[Chapter]
    chapters_text: str
    timeline: SafeString


def highlights_of(job: Job) -> Highlights:
    """The job's clips, chapters and timeline picture (empty when it has no highlights)."""
    analysis = job.analysis or {}
    # In the order they play, as the timeline numbers them; ``index`` stays their rank.
    clips = sorted(job.clips.all(), key=lambda clip: clip.start)
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


def clip_stored(job: Job, index: int, kind: str) -> tuple[str, str]:
    """A clip's video (``kind`` "mp4") or thumbnail ("jpg"): its storage name and download name,
    or 404."""
    field = {"mp4": "file", "jpg": "thumbnail"}.get(kind)
    clip = job.clips.filter(index=index).first()
    stored = getattr(clip, field) if clip is not None and field else None
    if not stored:
        raise Http404("No such clip.")
    return stored.name, f"{export_filename(job, kind).rsplit('.', 1)[0]}-clip-{index + 1}.{kind}"


def clip_file(job: Job, index: int, kind: str) -> tuple[Path, str]:
    """A clip's video or thumbnail on disk (the embedded default) and its download name, or 404."""
    name, download = clip_stored(job, index, kind)
    path = Path(default_storage.path(name))  # safe_join: never outside MEDIA_ROOT
    if not path.exists():
        raise Http404("The clip file is gone.")
    return path, download


@dataclass(frozen=True)
class Draft:
    lines: list[Segment]  # the last lines decoded, in order
    count: int  # all lines decoded so far


def transcript_draft(job: Job, *, last: int = 8) -> Draft:
    """What transcription has decoded so far, while the job runs (or before it failed)."""
    if job.status == Job.Status.SUCCEEDED:
        return Draft([], 0)
    lines = list(Segment.objects.filter(transcript__job=job).order_by("-index")[:last])[::-1]
    # A draft's lines are numbered from 0 without gaps: the last one's index counts them (one
    # query less on a fragment that every open job page polls).
    return Draft(lines, lines[-1].index + 1 if lines else 0)
