"""Recover jobs whose worker is gone (what the every-minute schedule runs), from the shell or cron."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from jobs.pipeline import sweeper


class Command(BaseCommand):
    help = (
        "Put running jobs whose worker stopped sending heartbeats back in the queue (or fail them "
        "after LECTERN_JOB_MAX_ATTEMPTS), and resend queued jobs whose task was lost."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ensure-schedule",
            action="store_true",
            help="Also create the every-minute schedule if it was deleted.",
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["ensure_schedule"] and sweeper.ensure_schedule():
            self.stdout.write("Created the every-minute sweep schedule.")
        result = sweeper.sweep_stale_jobs()
        self.stdout.write(f"Swept: {result.summary()}.")
        for label, ids in (
            ("requeued", result.requeued),
            ("failed", result.failed),
            ("resent", result.resent),
        ):
            for job_id in ids:
                self.stdout.write(f"  {label} {job_id}")
