"""django-q2 task entry points: fetch ids, call plain code. No logic lives here."""

from __future__ import annotations

from jobs.api import webhooks
from jobs.models import Job
from jobs.ops.logs import job_context
from jobs.pages import layout_check
from jobs.pipeline import sweeper, worker
from jobs.pipeline.notifications import notify_job_finished
from jobs.storage import direct
from jobs.study.services import study_notes_refresh


def run_job(job_id: str) -> str | None:
    """Run the next queued job in fair order (``jobs.pipeline.worker.claim_next``): often
    ``job_id`` itself, another owner's job when theirs has waited for its turn longer. The status
    of the job that ran, or None when the queue was empty."""
    with job_context(job_id):
        job = worker.claim_next(prefer=job_id)
    if job is None:
        return None
    with job_context(job.pk):  # every log record of the run carries the id of the job it is on
        job = worker.run_claimed(job, notify=notify_job_finished)
        webhooks.job_finished(job)  # queues a delivery if the owner set a webhook
    return None if job is None else job.status


def sweep_stale_jobs() -> str:
    """Run every minute by the schedule that migration jobs.0003 creates; on object storage it
    also removes direct uploads that never became a job."""
    summary = sweeper.sweep_stale_jobs().summary()
    abandoned = direct.sweep_abandoned()
    return f"{summary}; {abandoned} abandoned uploads removed" if abandoned else summary


def rerender_clips(job_id: str, indexes: list[int]) -> int:
    with job_context(job_id):
        return worker.rerender_clips(job_id, indexes)


def rerender_layout(job_id: str) -> int:
    """Every clip again, after the owner corrected the layout on the job page."""

    with job_context(job_id):
        return layout_check.rerender_layout(job_id)


def remake_notes(job_id: str) -> bool:
    """The study notes made again after an edit of the transcript (queued by the edit)."""
    with job_context(job_id):
        job = Job.objects.filter(pk=job_id).select_related("transcript").first()
        return job is not None and study_notes_refresh(job=job) is not None


def announce_job(job_id: str) -> None:
    """Email and webhook for a job that ended without a worker run (reused from the cache)."""

    job = Job.objects.select_related("owner").filter(pk=job_id).first()
    if job is not None and job.is_finished:
        notify_job_finished(job)
        webhooks.job_finished(job)


def announce_batch(job_id: str) -> None:
    """The batch's email, when a cancelled job was the last of its batch to end."""

    job = Job.objects.select_related("owner").filter(pk=job_id).first()
    if job is not None and job.is_finished:
        notify_job_finished(job)


def deliver_webhook(job_id: str, event: str, attempt: int = 1) -> int | None:
    """One delivery attempt of a job's webhook; failures schedule the next attempt."""
    return webhooks.deliver(job_id, event, attempt)
