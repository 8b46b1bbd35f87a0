"""Move the files of jobs made on the media folder into the bucket, once, when switching to one."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.storage import objects


class Command(BaseCommand):
    help = (
        "Upload every file under LECTERN_MEDIA_ROOT/jobs/ to the bucket under the same name, so "
        "that jobs made before object storage was switched on keep their media, posters, slides "
        "and clips. Files already in the bucket with the same size are skipped; run it again "
        "after an interruption."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--delete", action="store_true", help="Delete each local file once it is uploaded."
        )

    def handle(self, *args: object, **options: object) -> None:
        if not objects.on_bucket():
            raise CommandError("Set AWS_STORAGE_BUCKET_NAME (and the endpoint and keys) first.")
        root = Path(settings.MEDIA_ROOT)
        uploaded = skipped = 0
        for path in sorted((root / "jobs").rglob("*")):
            if not path.is_file() or path.name.endswith((".partial", ".tmp")):
                continue
            # The names are the same on both storages (jobs/<id>/...): the rows need no change.
            name = path.relative_to(root).as_posix()
            if objects.size(name) == path.stat().st_size:
                skipped += 1
            else:
                objects.upload(path, name)
                uploaded += 1
            if options["delete"]:
                path.unlink()
        self.stdout.write(f"Uploaded {uploaded} files, {skipped} were there already.")
