"""The job runner: claims a job, runs its stages in order, records stage and progress as it goes.

Every stage is safe to run again after a crash. Whatever goes wrong ends the job ``failed`` with a
sentence the user can read (the technical detail is kept for staff), and touches no other job.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import F, QuerySet
from django.utils import timezone

from jobs import intake
from jobs.cache import cached_source, copy_transcript, prompt_digest
from jobs.children import descendants, kill_descendants
from jobs.highlights.layout import LayoutResult
from jobs.highlights.run import HighlightOptions, HighlightsOutcome, make_highlights
from jobs.highlights.vocabulary import Term, distinctive_terms, glossary_prompt
from jobs.media import MediaError
from jobs.models import Clip, Job
from jobs.stages.diarize import diarize_job
from jobs.stages.extract import extract
from jobs.stages.fetch import Fetched, fetch
from jobs.stages.layout import read_layout
from jobs.stages.poster import make_poster
from jobs.stages.slides import SlidesRead, read_slides
from jobs.stages.store import store
from jobs.stages.transcribe import Transcribed, transcribe
from jobs.sweeper import WorkerStopping, requeue_on_sigterm, stop_requested
from transcripts.backends.base import BackendError, TranscribeOptions
from transcripts.diarization.encoder import EncoderUnavailable
from transcripts.models import Transcript

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10  # the default of settings.LECTERN_HEARTBEAT_SECONDS
# The stages a job runs and their share of the progress bar, by what they cost on a CPU.
PLAN_TRANSCRIPT: list[tuple[str, int]] = [
    (Job.Stage.FETCH, 3),
    (Job.Stage.EXTRACT, 5),
    (Job.Stage.TRANSCRIBE, 88),
    (Job.Stage.STORE, 4),
]
PLAN_HIGHLIGHTS: list[tuple[str, int]] = [
    (Job.Stage.FETCH, 2),
    (Job.Stage.EXTRACT, 3),
    (Job.Stage.LAYOUT, 4),
    (Job.Stage.TRANSCRIBE, 60),
    (Job.Stage.STORE, 2),
    (Job.Stage.SILENCES, 1),
    (Job.Stage.ANALYSE, 4),
    (Job.Stage.SELECT, 1),
    (Job.Stage.RENDER, 23),
]
# A transcript-only video job still reads its slides first, for the transcription's glossary.
PLAN_TRANSCRIPT_SLIDES: list[tuple[str, int]] = [
    (Job.Stage.FETCH, 3),
    (Job.Stage.EXTRACT, 5),
    (Job.Stage.LAYOUT, 6),
    (Job.Stage.TRANSCRIBE, 82),
    (Job.Stage.STORE, 4),
]


def spans(plan: list[tuple[str, int]]) -> dict[str, tuple[int, int]]:
    """Each stage's (first, last) percentage of the progress bar."""
    total = sum(weight for _, weight in plan)
    result, done = {}, 0
    for stage, weight in plan:
        result[stage] = (round(100 * done / total), round(100 * (done + weight) / total))
        done += weight
    return result


class JobCancelled(Exception):
    """The job was cancelled (or taken away) while it ran."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(job_id: str) -> Job | None:
    """Take a queued job for this worker; ``None`` when another worker has it or it is over.

    A conditional UPDATE, so that a queue that delivers a task twice cannot run a job twice.
    """
    now = timezone.now()
    taken = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING,
        stage=Job.Stage.FETCH,
        progress=0,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        attempts=F("attempts") + 1,
        worker=worker_name(),
        error="",
        error_detail="",
    )
    if not taken:
        return None
    return Job.objects.select_related("owner").get(pk=job_id)


class Heartbeat:
    """Touches ``heartbeat_at`` while the job runs, so a sweeper can tell a live worker from a dead one."""

    def __init__(
        self, job_id: object, every: float | None = None, *, started_at: object = None
    ) -> None:
        self.job_id = job_id
        self.every = every or settings.LECTERN_HEARTBEAT_SECONDS
        # Beat only for our own claim: a job the sweeper gave to another worker is not ours.
        self.claim = {"started_at": started_at} if started_at else {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{job_id}")

    def __enter__(self) -> Heartbeat:
        self._spare = frozenset(descendants())  # not started by this job
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    ours = Job.objects.filter(
                        pk=self.job_id, status=Job.Status.RUNNING, **self.claim
                    )
                    if not ours.update(heartbeat_at=timezone.now()):
                        # Cancelled (or taken away): a job blocked in ffmpeg would only notice
                        # when ffmpeg ends, so its children are ended now.
                        kill_descendants(
                            reason=f"job {self.job_id} is no longer ours", spare=self._spare
                        )
                except Exception:  # never take the job down; a database restart must not
                    # stop the beats for good either, or the sweeper would requeue a live job
                    logger.warning("heartbeat failed for job %s", self.job_id, exc_info=True)
                    connection.close()  # reconnect at the next beat
        finally:
            connection.close()


class Progress:
    """Saves stage and progress, at most once a second, and notices a cancellation."""

    def __init__(self, job: Job, min_interval: float = 1.0) -> None:
        self.job = job
        self.min_interval = min_interval
        self.spans = spans(PLAN_TRANSCRIPT)
        self._last_write = 0.0
        self._last_value = -1

    def plan(self, plan: list[tuple[str, int]]) -> None:
        self.spans = spans(plan)

    def stage(self, stage: str) -> None:
        self.job.stage = stage
        # Never move the bar backwards when the plan changes under a running stage.
        self._write(max(self.spans[stage][0], self.job.progress), force=True)

    def fraction(self, done: float) -> None:
        low, high = self.spans[self.job.stage]
        self._write(int(low + (high - low) * max(0.0, min(1.0, done))))

    def _write(self, value: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and (value == self._last_value or now - self._last_write < self.min_interval):
            return
        changed = _ours(self.job).update(
            stage=self.job.stage, progress=value, heartbeat_at=timezone.now()
        )
        if not changed:
            raise JobCancelled()
        self.job.progress = value
        self._last_value = value
        self._last_write = now


def _ours(job: Job) -> QuerySet[Job]:
    """The job while this worker's claim holds: running, and started by us (``started_at``).

    Once the sweeper has put the job back in the queue and another worker has claimed it, a worker
    that was only frozen (not dead) finds nothing here and stops as if cancelled.
    """
    return Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, started_at=job.started_at)


def job_audio_path(job: Job) -> Path:
    return Path(settings.MEDIA_ROOT) / job.media_dir() / "audio.wav"


def run(job_id: str, *, notify: Callable[[Job], None] | None = None) -> Job | None:
    """Run one job from its current state to the end. Returns the job, or None if not ours."""
    if not connection.in_atomic_block:  # never close a connection under a caller's transaction
        close_old_connections()
    job = claim(job_id)
    if job is None:
        logger.info("job %s not claimed (already taken, finished or cancelled)", job_id)
        return None
    logger.info("job %s started (attempt %s) on %s", job.pk, job.attempts, job.worker)
    # A SIGTERM puts the job back in the queue before the worker goes (jobs.sweeper).
    with requeue_on_sigterm(job), Heartbeat(job.pk, started_at=job.started_at):
        try:
            _run_stages(job, Progress(job))
        except JobCancelled:
            logger.info("job %s cancelled while running", job.pk)
        except (MediaError, BackendError) as exc:
            if stop_requested():  # the failure is the interrupted stop, not the job's own
                raise WorkerStopping() from exc
            _finish_failed(job, str(exc), traceback.format_exc())
        except Exception as exc:
            if stop_requested():
                raise WorkerStopping() from exc
            logger.exception("job %s crashed", job.pk)
            _finish_failed(
                job,
                "Something went wrong on our side while processing this file. "
                "You can retry it; if it fails again, contact the site's staff.",
                f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}",
            )
    job.refresh_from_db()
    if job.is_finished and job.status != Job.Status.CANCELLED and notify is not None:
        try:
            notify(job)
        except Exception:
            logger.exception("could not notify the owner of job %s", job.pk)
    return job


def _job_folder(job: Job) -> Path:
    return Path(settings.MEDIA_ROOT) / job.media_dir()


def _fetch(job: Job, progress: Progress) -> Fetched:
    progress.stage(Job.Stage.FETCH)
    if job.source_kind == Job.Source.URL:
        fetched = fetch(
            job.source_url,
            _job_folder(job),
            intake.limits(),
            allowlist=intake.allowlist(),
            on_progress=progress.fraction,
        )
        job.media.name = str(fetched.path.relative_to(Path(settings.MEDIA_ROOT)))
        if fetched.title and not job.title:
            job.title = fetched.title
    else:
        if not job.media:
            raise MediaError("This job has no media file.")
        fetched = fetch(Path(job.media.path), _job_folder(job), intake.limits())
    job.duration = fetched.info.duration
    job.has_video = fetched.info.has_video
    job.media_sha256 = fetched.sha256
    job.media_size = fetched.size
    job.save(
        update_fields=["media", "title", "duration", "has_video", "media_sha256", "media_size"]
    )
    return fetched


def _transcribe(
    job: Job, audio: Path, duration: float, progress: Progress, terms: list[Term] | None = None
) -> Transcribed:
    progress.stage(Job.Stage.TRANSCRIBE)
    # The glossary is Whisper's prompt, which every backend takes. Not faster-whisper's hotwords:
    # measured on tests/synth_slides.py, they made tiny.en echo the list and copy its style.
    return transcribe(
        audio,
        TranscribeOptions(
            language=job.transcription_language,
            task=job.task,
            user_id=job.owner_id,
            initial_prompt=glossary_prompt(terms or []) or None,
        ),
        duration=duration,
        backend=job.requested_backend or None,
        on_progress=progress.fraction,
    )


def _run_stages(job: Job, progress: Progress) -> None:
    _fetch(job, progress)
    highlights = job.wants_highlights
    if highlights:
        progress.plan(PLAN_HIGHLIGHTS)

    progress.stage(Job.Stage.EXTRACT)
    extracted = extract(Path(job.media.path), job_audio_path(job))
    if job.has_video:
        _poster(job, extracted.duration)

    # Layout first: slide changes are evidence for the topics later on, and the slides' text
    # (read at those changes) gives transcription a glossary and the topics their titles.
    # A layout the owner corrected on an earlier run is theirs: a retry keeps it.
    saved = (job.analysis or {}).get("layout") or {}
    corrected = saved if saved.get("source") == "corrected" else None
    layout = None
    slides = SlidesRead()
    slide_prompt = _slide_prompt_enabled()
    if job.has_video and (highlights or slide_prompt):
        if not highlights:
            progress.plan(PLAN_TRANSCRIPT_SLIDES)
        progress.stage(Job.Stage.LAYOUT)
        try:
            layout = (
                LayoutResult.from_dict(corrected)
                if corrected
                else read_layout(Path(job.media.path), timeout=settings.JOB_TIMEOUT)
            )
        except MediaError:
            if highlights:
                raise
            # Only the glossary needed it: a transcript is still worth making without.
            logger.info("job %s: no layout, so no slide text", job.pk, exc_info=True)
        if layout is not None:
            slides = _read_slides(job, layout, extracted.duration, progress)
    terms = _vocabulary(job, slides) if slide_prompt else []

    prompt = glossary_prompt(terms or []) or None
    source = cached_source(job, prompt=prompt)
    if source is not None:
        progress.stage(Job.Stage.STORE)
        copy_transcript(source, job)
        ran = {"backend": source.backend, "model_name": source.model_name, "cached_from_hash": True}
        note = source.note
    else:
        transcribed = _transcribe(job, extracted.audio, extracted.duration, progress, terms)
        progress.stage(Job.Stage.STORE)
        result = transcribed.result
        store(job, result, transcribed.check)
        Transcript.objects.filter(job=job).update(prompt_sha256=prompt_digest(prompt))
        ran = {
            "backend": result.backend,
            "model_name": result.model,
            "fallbacks": transcribed.fallbacks,
            "realtime_factor": transcribed.realtime_factor,
        }
        note = "" if result.segments else "No speech was found in this recording."
        logger.info(
            "job %s transcribed: %s segments, %.1fx realtime with %s",
            job.pk, len(result.segments), transcribed.realtime_factor or 0, result.backend,
        )  # fmt: skip

    if job.diarize:
        note = _diarize(job, extracted.audio) or note

    if highlights:
        found = _highlights(job, extracted.audio, extracted.duration, layout, progress, slides)
        note = found or note
    note = " ".join(part for part in (note, slides.note) if part)

    finished = _ours(job).update(
        status=Job.Status.SUCCEEDED,
        stage=Job.Stage.DONE,
        progress=100,
        finished_at=timezone.now(),
        note=note,
        **ran,
    )
    if not finished:
        raise JobCancelled()


def _poster(job: Job, duration: float) -> None:
    made = make_poster(Path(job.media.path), _job_folder(job) / "poster.jpg", duration=duration)
    if made is not None:
        job.poster.name = str(made.relative_to(Path(settings.MEDIA_ROOT)))
        job.save(update_fields=["poster"])


def _slide_prompt_enabled() -> bool:
    # Read the slides of every video job, highlights or not: the glossary helps plain transcripts.
    return bool(settings.LECTERN_SLIDE_PROMPT)


def _tesseract() -> str:
    return settings.LECTERN_TESSERACT


def _slide_rows(slides: SlidesRead) -> list[dict[str, object]]:
    root = Path(settings.MEDIA_ROOT)
    return [slide.to_dict(root) for slide in slides.slides]


def _read_slides(job: Job, layout: LayoutResult, duration: float, progress: Progress) -> SlidesRead:
    """The slides' images and text, kept in ``job.analysis["slides"]`` before transcription."""
    slides = read_slides(
        Path(job.media.path),
        layout,
        _job_folder(job) / "slides",
        duration=duration,
        tesseract=_tesseract(),
        on_progress=progress.fraction,
    )
    if slides.note:
        logger.info("job %s: %s", job.pk, slides.note)
    job.analysis = {**(job.analysis or {}), "slides": _slide_rows(slides)}
    job.save(update_fields=["analysis"])
    return slides


def _vocabulary(job: Job, slides: SlidesRead) -> list[Term]:
    terms = distinctive_terms([*slides.texts, job.title or ""])
    if terms:
        logger.info("job %s: glossary %s", job.pk, ", ".join(term.word for term in terms))
    return terms


def _diarize(job: Job, audio: Path) -> str:
    """Label the stored segments by speaker; returns a note for the user when it cannot."""
    try:
        diarized = diarize_job(job, audio)
    except EncoderUnavailable as exc:
        logger.warning("job %s: no speaker identification: %s", job.pk, exc)
        return f"Speakers were not identified: {exc}"
    logger.info("job %s: %s speakers", job.pk, len(diarized.speakers))
    # Unlabelled lines must never pass for labelled ones: say when and how much.
    if not diarized.speakers and diarized.segments:
        return (
            "Speakers were not identified: the voice detector found too little clear speech "
            "to tell voices apart."
        )
    if diarized.unassigned_seconds >= 0.5:
        return (
            f"About {max(1, round(diarized.unassigned_seconds))} s of speech was too short to tell "
            "who said it; those lines show the speaker nearest to them."
        )
    return ""


def _highlights(
    job: Job,
    audio: Path,
    duration: float,
    layout: LayoutResult | None,
    progress: Progress,
    slides: SlidesRead | None = None,
) -> str:
    """Silences, topics, clip choice and rendering; returns a note for the user, if any."""
    transcript = job.transcript
    segments = list(transcript.segments.all())
    folder = _job_folder(job) / "clips"
    # Safe to run again: an earlier attempt's clips are replaced, not added to.
    job.clips.all().delete()
    shutil.rmtree(folder, ignore_errors=True)

    def save_analysis(outcome: HighlightsOutcome) -> None:
        # Kept before rendering, so that the topics and chapters survive a rendering failure.
        detected = (job.analysis or {}).get("layout_detected")
        job.analysis = {
            "silences": [list(pause) for pause in outcome.silences],
            "layout": layout.to_dict() if layout else None,
            **({"layout_detected": detected} if detected else {}),
            "slide_changes": outcome.slide_changes,
            "slides": _slide_rows(slides or SlidesRead()),
            "topics": [topic.to_dict() for topic in outcome.analysis.topics],
            "analyser": outcome.analysis.analyser,
            "analyser_model": outcome.analysis.model,
            "analyser_fallback": outcome.analysis.fallback_reason,
        }
        job.save(update_fields=["analysis"])

    outcome = make_highlights(
        Path(job.media.path),
        audio,
        segments,
        folder,
        duration=duration,
        layout=layout,
        options=HighlightOptions.from_settings(
            settings.HIGHLIGHTS, settings.GEMINI, clip_layout=job.clip_layout
        ),
        language=transcript.language,
        title=job.title,
        slide_titles=slides.titles if slides else [],
        on_stage=progress.stage,
        on_progress=progress.fraction,
        before_render=save_analysis,
    )
    media_root = Path(settings.MEDIA_ROOT)
    Clip.objects.bulk_create(
        [
            Clip(
                job=job,
                index=index,
                start=chosen.start,
                end=chosen.end,
                duration=clip.duration,
                ranges=[list(span) for span in clip.ranges],
                title=chosen.title[:200],
                reason=chosen.reason,
                score=chosen.score,
                layout=clip.arrangement,
                file=str(clip.video.relative_to(media_root)),
                thumbnail=str(clip.thumbnail.relative_to(media_root)),
            )
            for index, (chosen, clip) in enumerate(
                zip(outcome.selection.clips, outcome.rendered, strict=True)
            )
        ]
    )
    if not outcome.selection.clips:
        return "No passage was long and self-contained enough to make a highlight clip."
    return ""


def _finish_failed(job: Job, message: str, detail: str) -> None:
    logger.warning("job %s failed: %s", job.pk, message)
    _ours(job).update(
        status=Job.Status.FAILED,
        error=message,
        error_detail=detail[-20000:],
        finished_at=timezone.now(),
    )


def rerender_clips(job_id: str, indexes: list[int]) -> int:
    """Render the given clips again from the current transcript (after a caption edit)."""
    from jobs.highlights.compiler import render_clip

    job = Job.objects.filter(pk=job_id, status=Job.Status.SUCCEEDED).first()
    if job is None or not job.media:
        return 0
    segments = list(job.transcript.segments.all())
    layout = (job.analysis or {}).get("layout")
    done = 0
    for clip in job.clips.filter(index__in=indexes):
        output = Path(clip.file.path)
        render_clip(
            Path(job.media.path),
            {"ranges": clip.ranges, "start": clip.start, "end": clip.end},
            segments,
            output,
            layout=job.clip_layout,
            regions=layout,
        )
        done += 1
    logger.info("job %s: %s clip(s) rendered again after an edit", job.pk, done)
    return done
