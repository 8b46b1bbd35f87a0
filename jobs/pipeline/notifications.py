"""Emails to a job's owner when it ends: one per job, or one per batch of jobs submitted together."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from jobs.models import Job

ENDED = (Job.Status.SUCCEEDED, Job.Status.FAILED)


def notify_job_finished(job: Job) -> bool:
    """Tell the owner their job succeeded or failed; for jobs submitted together (a batch), send
    one email when the last of them ends, listing each. Returns whether an email was sent.

    A cancelled job sends nothing of its own, but may be the last of its batch to end.
    """
    if not job.owner.email:
        return False
    if job.batch:
        together = Job.objects.filter(batch=job.batch, owner_id=job.owner_id)
        if together.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists():
            return False  # the last of them to end sends the email
    elif job.status in ENDED:
        together = Job.objects.filter(pk=job.pk)
    else:
        return False
    # Claimed by one conditional UPDATE before sending: two workers ending a batch's last jobs
    # at once, or a queue delivering a task twice, send one email and not two.
    now = timezone.now()
    if not together.filter(notified_at__isnull=True).update(notified_at=now):
        return False
    ended = list(
        together.filter(notified_at=now, status__in=ENDED)
        .select_related("owner")
        .order_by("created_at")
    )
    if not ended:
        return False
    if len(ended) == 1:
        _send_one(ended[0])
    else:
        _send_batch(ended)
    return True


def _url(job: Job) -> str:
    return f"{settings.BASE_URL}{job.get_absolute_url()}"


def _send(to: str, subject: str, template: str, context: dict[str, object]) -> None:
    message = EmailMultiAlternatives(
        # A line break in a title would be a header injection, which Django refuses with
        # BadHeaderError (and no email): every run of whitespace becomes one space.
        subject=" ".join(subject.split())[:250],
        body=render_to_string(f"emails/{template}.txt", context),
        to=[to],
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    message.send()


def _send_one(job: Job) -> None:
    succeeded = job.status == Job.Status.SUCCEEDED
    context = {"job": job, "user": job.owner, "job_url": _url(job), "succeeded": succeeded}
    outcome = "is ready" if succeeded else "failed"
    _send(job.owner.email, f"Lectern: {job.display_name} {outcome}", "job_finished", context)


def _send_batch(jobs: list[Job]) -> None:
    owner = jobs[0].owner
    ready = [job for job in jobs if job.status == Job.Status.SUCCEEDED]
    failed = [job for job in jobs if job.status == Job.Status.FAILED]
    if not failed:
        subject = f"Lectern: your {len(ready)} recordings are ready"
    elif not ready:
        subject = f"Lectern: your {len(failed)} recordings failed"
    else:
        subject = (
            f"Lectern: {len(ready)} of your {len(jobs)} recordings are ready, {len(failed)} failed"
        )
    context = {
        "user": owner,
        "items": [{"job": job, "url": _url(job), "succeeded": job in ready} for job in jobs],
        "ready": len(ready),
        "failed": len(failed),
    }
    _send(owner.email, subject, "batch_finished", context)
