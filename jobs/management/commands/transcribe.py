"""Transcribe a file from the shell, with the same stages as a job, without a server or worker."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs import intake
from jobs.highlights.run import HighlightOptions, make_highlights
from jobs.media import MediaError, read_wav
from jobs.stages.extract import extract
from jobs.stages.fetch import fetch
from jobs.stages.layout import read_layout
from jobs.stages.transcribe import transcribe
from transcripts import exports
from transcripts.backends.base import BackendError, TranscribeOptions
from transcripts.diarization import EncoderUnavailable, diarize, with_speakers


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

    def handle(self, *args: object, **options: object) -> None:
        raw = str(options["source"])
        source: Path | str = raw if "://" in raw else Path(raw)
        if isinstance(source, Path) and not source.exists():
            raise CommandError(f"{source}: no such file.")
        show_progress = not options["no_progress"] and sys.stderr.isatty()
        try:
            with tempfile.TemporaryDirectory(prefix="lectern-") as scratch:
                fetched = fetch(
                    source, Path(scratch), intake.limits(), allowlist=intake.allowlist()
                )
                extracted = extract(fetched.path, Path(scratch) / "audio.wav")
                layout = None
                if options["highlights"] and fetched.info.has_video:
                    layout = read_layout(fetched.path)
                bar = self._progress_bar(extracted.duration) if show_progress else None
                try:
                    transcribed = transcribe(
                        extracted.audio,
                        TranscribeOptions(
                            language=options["language"] or None,
                            task=str(options["task"]),
                            model=options["model"] or None,
                        ),
                        duration=extracted.duration,
                        backend=options["backend"] or None,
                        on_progress=(lambda done: bar.update(round(done * 1000) - bar.n))
                        if bar
                        else None,
                    )
                finally:
                    if bar is not None:
                        bar.close()
                segments: list = transcribed.result.segments
                # RTTM is speaker turns: asking for it asks for them.
                if options["diarize"] or options["format"] == "rttm":
                    segments = with_speakers(
                        [segment.to_dict() for segment in segments],
                        diarize(read_wav(extracted.audio), speakers=options["speakers"] or None),
                    )
                highlights = None
                if options["highlights"]:
                    result = transcribed.result
                    stem = Path(fetched.path).stem if isinstance(source, str) else source.stem
                    folder = Path(str(options["clips_dir"] or f"{stem}-clips")).resolve()
                    highlights = make_highlights(
                        fetched.path,
                        extracted.audio,
                        [segment.to_dict() for segment in result.segments],
                        folder,
                        duration=extracted.duration,
                        layout=layout,
                        options=HighlightOptions.from_settings(
                            settings.HIGHLIGHTS,
                            settings.GEMINI,
                            clip_layout=str(options["clip_layout"]),
                        ),
                        language=result.language,
                        on_stage=lambda stage: (
                            self.stderr.write(f"{stage}…") if show_progress else None
                        ),
                    )
        except (MediaError, BackendError, EncoderUnavailable) as exc:
            raise CommandError(f"{source}: {exc}") from None
        result = transcribed.result
        for line in transcribed.fallbacks:
            self.stderr.write(f"fell back: {line}")
        for line in transcribed.check.warnings():
            self.stderr.write(f"warning: {line}")
        text = exports.render(
            str(options["format"]),
            segments,
            language=result.language,
            duration=result.duration or fetched.info.duration,
            backend=result.backend,
            model=result.model,
            **(
                {"extra": highlights.to_json()}
                if highlights and options["format"] == "json"
                else {}
            ),
            # RTTM names the recording on every line: the input's file name.
            **({"uri": Path(fetched.path).stem} if options["format"] == "rttm" else {}),
        )
        if highlights is not None:
            self.stderr.write(
                f"{len(highlights.rendered)} clips in {highlights.rendered[0].video.parent}"
                if highlights.rendered
                else "no passage was long enough for a clip"
            )
        if options["output"]:
            Path(str(options["output"])).write_text(text, encoding="utf-8")
            self.stderr.write(
                f"wrote {options['output']} ({len(result.segments)} segments, "
                f"{result.duration:.0f} s, {transcribed.realtime_factor or 0:.1f}x realtime)"
            )
        else:
            self.stdout.write(text, ending="")

    def _progress_bar(self, duration: float):
        from tqdm import tqdm

        return tqdm(total=1000, file=sys.stderr, desc="Transcribing", unit="‰", leave=False)
