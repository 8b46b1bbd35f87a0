"""Queue jobs from the shell: files or links, one job each, for a user."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs import services
from jobs.intake import rules


class Command(BaseCommand):
    help = "Create one job per file or link for USER and queue them; prints the job ids."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sources", nargs="+", help="Files or http(s) links.")
        parser.add_argument("--user", required=True, help="Owner's username.")
        parser.add_argument("--highlights", action="store_true", help="Also make highlight clips.")
        parser.add_argument("--language", default="auto")
        parser.add_argument("--task", choices=["transcribe", "translate"], default="transcribe")
        parser.add_argument("--backend", default="")
        parser.add_argument("--title", default="")

    def handle(self, *args: object, **options: object) -> None:
        try:
            owner = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {options['user']!r}.") from None
        files: list[Path] = []
        urls: list[str] = []
        for source in options["sources"]:
            if "://" in source:
                try:
                    urls.append(rules.validate_url(source))
                except rules.UnsafeURL as exc:
                    raise CommandError(f"{source}: {exc}") from None
            elif Path(source).is_file():
                files.append(Path(source))
            else:
                raise CommandError(f"{source}: no such file.")
        handles = [open(path, "rb") for path in files]  # noqa: SIM115 (closed below)
        try:
            jobs = services.job_create_batch(
                owner=owner,
                uploads=[
                    File(handle, name=path.name)
                    for handle, path in zip(handles, files, strict=True)
                ],
                urls=urls,
                title=str(options["title"]),
                language=str(options["language"]),
                task=str(options["task"]),
                backend=str(options["backend"]),
                highlights=True if options["highlights"] else None,
            )
        except services.TooManyJobs as exc:  # the cap holds here too: raise it in the settings
            raise CommandError(str(exc)) from None
        finally:
            for handle in handles:
                handle.close()
        for job in jobs:
            self.stdout.write(str(job.pk))
