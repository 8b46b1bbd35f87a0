"""List the transcription backends: which can run here, why or why not, and which is chosen."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from transcripts import backends


class Command(BaseCommand):
    help = "Show every transcription backend, whether it is available and why, and the choice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--backend", help="Show what forcing this backend would choose.")

    def handle(self, *args: object, **options: object) -> None:
        rows = backends.report(options["backend"] or None)
        width = max(len(name) for name, _, _ in rows)
        for name, availability, chosen in rows:
            mark = "*" if chosen else " "
            state = "available  " if availability.ok else "unavailable"
            self.stdout.write(f"{mark} {name:<{width}}  {state}  {availability.reason}")
        picked = next((name for name, _, chosen in rows if chosen), None)
        if picked:
            self.stdout.write(
                f"\nChosen: {picked} (* above); the others are the fallbacks, in order."
            )
        else:
            self.stdout.write("\nNo backend can run here with these settings.")
