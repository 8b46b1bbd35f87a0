"""Emails to a job's owner when it ends."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from jobs.models import Job


def notify_job_finished(job: Job) -> bool:
    """Tell the owner their job succeeded or failed. Returns whether an email was sent."""
    address = job.owner.email
    if not address or job.status not in (Job.Status.SUCCEEDED, Job.Status.FAILED):
        return False
    context = {
        "job": job,
        "user": job.owner,
        "job_url": f"{settings.BASE_URL}{job.get_absolute_url()}",
        "succeeded": job.status == Job.Status.SUCCEEDED,
    }
    outcome = "is ready" if context["succeeded"] else "failed"
    message = EmailMultiAlternatives(
        # A line break in a title would be a header injection, which Django refuses with
        # BadHeaderError (and no email): every run of whitespace becomes one space.
        subject=" ".join(f"Lectern: {job.display_name} {outcome}".split())[:250],
        body=render_to_string("emails/job_finished.txt", context),
        to=[address],
    )
    message.attach_alternative(render_to_string("emails/job_finished.html", context), "text/html")
    message.send()
    return True
