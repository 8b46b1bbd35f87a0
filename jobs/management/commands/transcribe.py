"""Transcribe a file from the shell: the same runner, stages and settings as a job, without a
server or a worker. Results go to files instead of the database."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.pipeline import runner
from jobs.pipeline.config import run_settings
from transcripts import exports
from transcripts.backends.base import BackendError
from transcripts.diarization import DiarizerUnavailable
from transcripts.media import MediaError


class TerminalProgress:
    """Stage names on standard error, and a bar while transcribing."""

    def __init__(self, command: BaseCommand, *, enabled: bool) -> None:
        self.command, self.enabled, self.bar = command, enabled, None
        self.current = ""

    def plan(self, plan: runner.Plan) -> None:
        pass

    def stage(self, stage: str) -> None:
        self.close()
        self.current = stage
        if not self.enabled:
            return
        if stage == runner.TRANSCRIBE:
            from tqdm import tqdm  # only with a terminal to draw on

            self.bar = tqdm(total=1000, file=sys.stderr, desc="Transcribing", unit="‰", leave=False)
        else:
            self.command.stderr.write(f"{stage}…")

    def fraction(self, done: float) -> None:
        if self.bar is not None:
            self.bar.update(round(done * 1000) - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = "Transcribe an audio or video file and print the transcript (or write it with -o)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="Path to an audio or video file, or an http(s) link.")
        parser.add_argument("--format", choices=list(exports.FORMATS), default="txt")
        parser.add_argument("-o", "--output", help="Write here instead of standard output.")
        parser.add_argument("--model", help="Model: base, tiny.en, a CTranslate2 directory...")
        parser.add_argument("--language", help="Language code; detected when omitted.")
        parser.add_argument("--task", choices=["transcribe", "translate"], default="transcribe")
        parser.add_argument("--backend", help="Force a backend (see `manage.py backends`).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--highlights", action="store_true", help="Also find topics and render highlight clips."
        )
        parser.add_argument("--clips-dir", help="Where clips go (default: SOURCE-clips/ in cwd).")
        parser.add_argument("--clip-layout", choices=["vertical", "original"], default="vertical")
        parser.add_argument("--diarize", action="store_true", help="Label who speaks when.")
        parser.add_argument("--speakers", type=int, help="How many speakers (with --diarize).")
        parser.add_argument(
            "--notes", metavar="FILE", help="Also write the study notes here (Markdown)."
        )

    def handle(self, *args: object, **options: object) -> None:
        raw = str(options["source"])
        source: Path | str = raw if "://" in raw else Path(raw)
        if isinstance(source, Path) and not source.exists():
            raise CommandError(f"{source}: no such file.")
        progress = TerminalProgress(
            self, enabled=not options["no_progress"] and sys.stderr.isatty()
        )
        fmt = str(options["format"])
        highlights = bool(options["highlights"])
        stem = source.stem if isinstance(source, Path) else ""
        clips = Path(str(options["clips_dir"] or f"{stem or 'download'}-clips")).resolve()
        try:
            with tempfile.TemporaryDirectory(prefix="lectern-") as scratch:
                request = runner.Request(
                    source=source,
                    folder=Path(scratch),
                    language=options["language"] or None,
                    task=str(options["task"]),
                    model=options["model"] or None,
                    backend=options["backend"] or None,
                    # RTTM is speaker turns: asking for it asks for them.
                    diarize=bool(options["diarize"]) or fmt == "rttm",
                    speakers=options["speakers"] or None,
                    highlights=highlights,
                    clip_layout=str(options["clip_layout"]),
                    clips=clips,
                    poster=False,
                )
                try:
                    done = runner.run(request, run_settings(), runner.FileStore(), progress)
                finally:
                    progress.close()
        except (MediaError, BackendError, DiarizerUnavailable) as exc:
            raise CommandError(f"{source}: {exc}") from None
        for line in done.fallbacks:
            self.stderr.write(f"fell back: {line}")
        for line in done.warnings:
            self.stderr.write(f"warning: {line}")
        name = stem or Path(done.fetched.path).stem
        text = exports.render(
            fmt,
            done.record.segments,
            language=done.record.language,
            duration=done.record.duration or done.fetched.info.duration,
            backend=done.backend,
            model=done.model,
            **({"extra": _extra(done)} if fmt == "json" else {}),
            # RTTM names the recording on every line: the input's file name.
            **({"uri": name} if fmt == "rttm" else {}),
        )
        if done.highlights is not None:
            self.stderr.write(
                f"{len(done.highlights.rendered)} clips in {clips}"
                if done.highlights.rendered
                else "no passage was long enough for a clip"
            )
        if options["notes"] and done.study is not None:
            # Each moment as a media fragment of the source, which players and browsers seek to.
            link = source if isinstance(source, str) else Path(source).name
            notes = done.study.markdown(name, link=lambda seconds: f"{link}#t={seconds:.0f}")
            Path(str(options["notes"])).write_text(notes, encoding="utf-8")
            self.stderr.write(f"wrote study notes to {options['notes']}")
        if options["output"]:
            Path(str(options["output"])).write_text(text, encoding="utf-8")
            self.stderr.write(
                f"wrote {options['output']} ({len(done.record.segments)} segments, "
                f"{done.record.duration:.0f} s, {done.realtime_factor or 0:.1f}x realtime)"
            )
        else:
            self.stdout.write(text, ending="")


def _extra(done: runner.Outcome) -> dict[str, object]:
    """What the JSON export adds: the slides read, and the highlights when asked for."""
    extra: dict[str, object] = {
        "slides": [
            {"time": round(slide.time, 2), "title": slide.title, "text": slide.text}
            for slide in done.slides.slides
        ]
    }
    if done.highlights is not None:
        extra.update(done.highlights.to_json())
    return extra
