"""docs/benchmarks.md from results.json: one table per section, each with the command behind it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.stats import fmt_ratio


def _s(figure: dict[str, Any] | None, digits: int = 2) -> str:
    if not figure:
        return "–"
    if figure.get("n", 1) > 1:
        return (
            f"{figure['median']:.{digits}f} s ({figure['min']:.{digits}f}–"
            f"{figure['max']:.{digits}f}, n={figure['n']})"
        )
    return f"{figure['median']:.{digits}f} s (n=1)"


def _ok(value: float, limit: float, below: bool = True) -> str:
    return (
        "meets the goal" if (value <= limit if below else value >= limit) else "**misses the goal**"
    )


def transcription(data: dict[str, Any]) -> list[str]:
    r = data["job_over_raw"]
    lines = [
        "## Transcription overhead: the job against the raw backend call",
        "",
        f"`{data['command']}` — {data['audio_seconds'] / 60:.1f} min of speech, `{data['model']}` "
        "(chosen to keep the bench affordable on a small CPU; the app's default is `base`), beam 5, "
        "VAD, all cores. Raw: `FasterWhisperBackend.transcribe` in the bench process with the model "
        "loaded. Job: `job_create` → django-q2 ORM broker → a `manage.py qcluster` worker (warmed "
        "with one short job) → transcript stored, seen from the bench process.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| raw backend call | {_s(data['raw_seconds'])} |",
        f"| whole job | {_s(data['job_seconds'])} |",
        f"| backend call inside the worker (from the job's realtime factor) | "
        f"{_s(data.get('worker_backend_seconds'))} |",
        f"| **job ÷ raw** (goal ≤ 1.10×) | **{fmt_ratio(r)}**, {_ok(r['median'], 1.10)} |",
        f"| raw, × realtime | {data['raw_realtime']:.1f}× |",
        f"| job, × realtime | {data['job_realtime']:.1f}× |",
    ]
    if data.get("first_line_seconds"):
        share = data["first_line_share"]
        lines += [
            "| first line on the page: from the stage turning to *transcribe* to the first stored "
            f"line | {_s(data['first_line_seconds'])} |",
            f"| … as a share of the whole job | {share['median']:.1%} "
            f"({share['min']:.1%}–{share['max']:.1%}) |",
        ]
    lines.append("")
    return lines


def backends(data: dict[str, Any]) -> list[str]:
    lines = [
        "## Backends side by side",
        "",
        f"`{data['command']}` — the same {data['audio_seconds']:.0f} s clip (a 2-minute excerpt, "
        "not the 10-minute file, to keep the section affordable), language `en`, "
        f"{data['repeats']} repeat(s) each after a warm-up load. Time ratio against "
        f"**{data['reference']}** (the app's default settings) in the same run. WER against the text "
        "the clip was made from, normalised as `tests/wer.py` does.",
        "",
        "| configuration | time | vs reference | × realtime | WER |",
        "|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        if "error" in row:
            lines.append(f"| {row['name']} | could not run: {row['error']} | | | |")
            continue
        vs = fmt_ratio(row["time_vs_reference"]) if "time_vs_reference" in row else "–"
        lines.append(
            f"| {row['name']} | {_s(row['seconds'])} | {vs} | {row['realtime']:.1f}× | "
            f"{row['wer'] * 100:.1f} % |"
        )
    lines.append("")
    return lines


def highlights(data: dict[str, Any]) -> list[str]:
    total = data["all_but_render_vs_transcription"]
    lines = [
        "## Highlights: each agent against the transcription",
        "",
        f"`{data['command']}` — the synthetic lecture video (`tests/synth_video.lecture_video`, "
        f"{data['lecture_seconds']:.0f} s, 1280×720, 5 fps); transcription with `{data['model']}` "
        f"beam 5 in the same process took {_s(data['transcription_seconds'])}.",
        "",
        "| stage | time | ÷ transcription |",
        "|---|---|---|",
    ]
    for name, stage in data["stages"].items():
        lines.append(
            f"| {name} | {_s(stage['seconds'], 3)} | {fmt_ratio(stage['vs_transcription'], 3)} |"
        )
    lines.append(
        f"| **all but rendering** (goal ≤ 0.25×) | | **{fmt_ratio(total, 3)}**, "
        f"{_ok(total['median'], 0.25)} |"
    )
    default = data.get("all_but_render_vs_default_transcription")
    if default:
        lines.append(
            "| all but rendering ÷ transcription with `base`, the app's default "
            f"({_s(data['default_transcription_seconds'])}) | | {fmt_ratio(default, 3)} |"
        )
    lines.append("")
    render = data.get("render", {})
    if "error" in render:
        lines += [f"Rendering: {render['error']}.", ""]
        return lines
    r = render["render_vs_plain"]
    lines += [
        f"One clip ({render['clip_seconds']:.1f} s, {render['arrangement']}, "
        f"{render['size'][0]}×{render['size'][1]}):",
        "",
        "| figure | value |",
        "|---|---|",
        f"| `render_clip` | {_s(render['render_clip_seconds'])} |",
        f"| the same ffmpeg command alone | {_s(render['plain_ffmpeg_seconds'])} |",
        f"| **render_clip ÷ plain ffmpeg** (goal ≤ 1.25×) | **{fmt_ratio(r)}**, {_ok(r['median'], 1.25)} |",
        "",
        "<details><summary>the plain ffmpeg command</summary>",
        "",
        f"```\n{render['plain_command']}\n```",
        "",
        "</details>",
        "",
    ]
    return lines + _lecture_clips(data.get("lectures"))


def _lecture_clips(lectures: dict[str, Any] | None) -> list[str]:
    if not lectures or "rows" not in lectures:
        return []
    lines = [
        "### Clips of the eight spoken lectures (issue 26)",
        "",
        "The lectures of `bench/lectures.py` spoken by espeak-ng and transcribed (tiny.en; base "
        "for German and French), then the pipeline's own silences, topics and clip choice with "
        "its defaults (at most 12 clips of 20 to 60 s, together at most 25 % of the lecture). "
        "A flagged moment is inside a clip when a clip spans the middle of the transcribed "
        "sentence holding most of its words (`bench/judge.py`). Tuning and held-out apart; the "
        "goals are for the 20-minute lectures (immunity: tuning, rome: held out).",
        "",
        "| lecture | half | minutes | clips | flagged moments in a clip | clips' share | "
        "longest clip |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in lectures["rows"]:
        long = " (20 min)" if row["long"] else ""
        lines.append(
            f"| {row['name']}{long} | {row['split']} | {row['minutes']:.1f} | {row['clips']} | "
            f"{row['flagged_in_clips']}/{row['flagged']} ({row['flagged_transcribed']} "
            f"transcribed) | {row['clip_share']:.0%} | {row['longest_clip']:.0f} s |"
        )
    lines.append("")
    for half in ("tuning", "held_out"):
        s = lectures[half]
        lines.append(
            f"- **{half.replace('_', '-')}** ({', '.join(s['lectures'])}): flagged moments in a "
            f"clip {s['flagged_in_clips']}/{s['flagged']}; on the 20-minute lecture "
            f"{s.get('flagged_in_clips_long', 0)}/{s.get('flagged_long', 0)} (goal: all), clips' "
            f"share {s.get('clip_share_long', 0):.0%} (goal ≤ 25 %); longest clip "
            f"{s['longest_clip']:.0f} s (goal ≤ 75 s). A lecture of a few minutes gets one clip "
            "(the first clip may pass the share)."
        )
    lines.append("")
    return lines


def _lecture_notes(lectures: dict[str, Any] | None) -> list[str]:
    if not lectures or "rows" not in lectures:
        return []
    lines = [
        "### Notes of the eight spoken lectures (issue 26)",
        "",
        "Each lecture of `bench/lectures.py` spoken by espeak-ng and transcribed (tiny.en; base "
        "for German and French, cached under `var/bench-cache/lectures`), its topics found by "
        "the local analyser, then the notes. Terms: the glossary against the terms written down "
        "before the first run (recall, precision; `bench/judge.py` matches plurals and longer "
        "phrases). Flagged: the sentences the lecturer flags, in the summary when a summary item "
        "holds 60 % of their content words. Time: the notes stage (`make_notes`, topics given) "
        "and the whole analysis (topics and notes) against the lecture's own transcription time "
        "(each time warm: the first use in a fresh process, which imports YAKE and networkx and "
        f"loads wordfreq's tables, took {lectures.get('first_use_seconds', 0):.1f} s here, once "
        "per worker).",
        "",
        "| lecture | half | lang | min | terms R / P | junk | flagged in summary | "
        "topics in summary | notes ÷ transcription | analysis ÷ transcription |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in lectures["rows"]:
        lines.append(
            f"| {row['name']} | {row['split']} | {row['language']} | {row['minutes']:.1f} | "
            f"{row['term_recall']:.0%} / {row['term_precision']:.0%} | "
            f"{len(row['junk_entries'])} | {row['flagged_in_summary']}/{row['flagged']} | "
            f"{row['topics_in_summary']}/{row['topics']} | {row['notes_share']:.2%} | "
            f"{row['analysis_share']:.1%} |"
        )
    lines.append("")
    for half in ("tuning", "held_out"):
        s = lectures[half]
        lines.append(
            f"- **{half.replace('_', '-')}** ({', '.join(s['lectures'])}): terms recall "
            f"{s['term_recall']:.0%}, precision {s['term_precision']:.0%} (goals ≥ 70 %), "
            f"{s['junk_entries']} possessive/stop-word/fragment entries; flagged sentences in the "
            f"summary {s['flagged_in_summary']}/{s['flagged']}, topics "
            f"{s['topics_in_summary']}/{s['topics']}; notes stage at most "
            f"{s['notes_share_max']:.2%} of transcription (goal ≤ 1 %), whole analysis at most "
            f"{s['analysis_share_max']:.1%} (goal ≤ 5 %)."
        )
    lines.append("")
    return lines


def memory(data: dict[str, Any]) -> list[str]:
    w, o = data["windowed"], data["whole"]
    return [
        "## Memory: worker peak RSS, 10 against 60 minutes of audio",
        "",
        f"`{data['command']}` — the transcription stage (`jobs.pipeline.stages.transcribe`, "
        f"`{data['model']}`) in a fresh process per size; peak RSS is that process's own `VmHWM` (`ru_maxrss` would include the bench process's RSS, carried over the exec). "
        f"Short: {data['short_seconds'] / 60:.1f} min; long: {data['long_seconds'] / 60:.1f} min (the "
        "short file looped with ffmpeg concat). A process that only loads the model peaks at "
        f"{data['model_loaded_mib']:.0f} MiB.",
        "",
        "| backend path | peak, short | peak, long | **long ÷ short** (goal ≤ 1.2×) | long, × realtime |",
        "|---|---|---|---|---|",
        f"| whole file at once (before) | {o['short_mib']:.0f} MiB | {o['long_mib']:.0f} MiB | "
        f"**{o['growth']:.2f}×**, {_ok(o['growth'], 1.2)} | {o['long_realtime']:.1f}× |",
        f"| 10-minute windows cut at pauses (after) | {w['short_mib']:.0f} MiB | "
        f"{w['long_mib']:.0f} MiB | **{w['growth']:.2f}×**, {_ok(w['growth'], 1.2)} | "
        f"{w['long_realtime']:.1f}× |",
        "",
        "One process per figure (n=1 each): peak RSS barely varies between runs of the same input.",
        "",
    ]


def _latency_row(name: str, figures: dict[str, Any]) -> str:
    return (
        f"| {name} | {figures['requests']} | {figures['statuses']} | {figures['p50_ms']:.1f} ms | "
        f"{figures['p95_ms']:.1f} ms | {figures['max_ms']:.0f} ms | "
        f"{figures['requests_per_second']:.0f} |"
    )


def web(data: dict[str, Any]) -> list[str]:
    f, h = data["fragment"], data["healthz"]
    return [
        "## Web: progress fragment under 50 pollers, and cold start",
        "",
        f"`{data['command']}` — gunicorn as `manage.py serve` starts it (2 workers × 4 threads), "
        f"throwaway SQLite, a worker transcribing meanwhile (job status at start and end: "
        f"{' → '.join(data['job_status_during'])}). {data['pollers']} threads × "
        f"{data['requests_per_poller']} requests, a new connection each, {data['pause_seconds']} s "
        "pause between a thread's requests"
        + (
            f", spread over {data['fragment']['client_processes']} client processes"
            if "client_processes" in data["fragment"]
            else ""
        )
        + ". Reference: `/healthz` under the same load, right after.",
        "",
        "| endpoint | requests | statuses | p50 | p95 | max | req/s |",
        "|---|---|---|---|---|---|---|",
        _latency_row("progress fragment (`HX-Target: job-progress`)", f),
        _latency_row("`/healthz` (reference)", h),
        *(
            [_latency_row("progress fragment, all pollers in one client process", one)]
            if (one := data.get("fragment_one_client_process"))
            else []
        ),
        "",
        f"Fragment ÷ healthz: p50 {data['fragment_p50_vs_healthz_p50']:.2f}×, p95 "
        f"{data['fragment_p95_vs_healthz_p95']:.2f}×. Goal p95 < 25 ms: "
        f"{_ok(f['p95_ms'], 25)} ({f['p95_ms']:.1f} ms).",
        "",
        "| cold start: process start → first 200 | time |",
        "|---|---|",
        f"| Lectern, `/accounts/login/` | {_s(data['cold_start_seconds'])} |",
        f"| gunicorn with a bare WSGI app (reference) | {_s(data['hello_cold_start_seconds'])} |",
        f"| **Lectern ÷ reference** | **{fmt_ratio(data['cold_vs_hello'])}** |",
        "",
    ]


def vocabulary(data: dict[str, Any]) -> list[str]:
    lines = [
        "## Slide text: transcription with and without the slide glossary",
        "",
        f"`{data['command']}` — the synthetic slides lecture (`tests/synth_slides.py`, "
        f"{data['lecture_seconds']:.0f} s, {data['slides']} slides read by Tesseract), beam 5, "
        "language `en`. Each model transcribes it plainly and with the glossary read off its own "
        f"slides as the initial prompt: `{data['prompt']}`. Term error rate: the share of the "
        f"occurrences of {', '.join(data['terms_scored'])} not spelled out.",
        "",
        "| model | term errors, plain | term errors, prompted | WER plain | WER prompted "
        "| prompted time ÷ plain |",
        "|---|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        plain, prompted = row["plain"], row["prompted"]
        lines.append(
            f"| {row['model']} | {plain['term_error_rate'] * 100:.0f} % | "
            f"**{prompted['term_error_rate'] * 100:.0f} %** | {plain['wer'] * 100:.1f} % | "
            f"{prompted['wer'] * 100:.1f} % | {fmt_ratio(row['prompted_vs_plain_time'])} |"
        )
    lines.append("")
    if data.get("read_slides_vs_transcription"):
        lines += [
            f"Reading the slides (a frame per slide change, cropped, Tesseract): "
            f"{_s(data['read_slides_seconds'])}, "
            f"**{fmt_ratio(data['read_slides_vs_transcription'])}** of the plain `base` "
            "transcription of the same lecture.",
            "",
        ]
    return lines


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def speakers(data: dict[str, Any]) -> list[str]:
    """Lectern (pyannote segmentation-3.0 + CAM++ in NumPy) and senko on the same files."""
    ami, cost = data["ami"], data["cost"]
    lines = [
        "## Speakers: diarization error rate, count, attribution, cost (Lectern and senko)",
        "",
        f"`{data['command']}` — Lectern's diarizer (pyannote segmentation-3.0 and 3D-Speaker's "
        "CAM++ run in NumPy, clustered pyannote's way) and the peer "
        f"({data.get('peer') or 'senko: not run'}, in a throwaway environment of its own), on "
        "the same 16 kHz WAVs, count estimated, scored by pyannote.metrics "
        "(`DiarizationErrorRate(collar=0.25, skip_overlap=False)`). AMI: the ten 30 s excerpts "
        "of `../shared/media/ami/` against `train.rttm` within `train.uem`. The split was written "
        "down before the first run (bench/NOTES.md): settings were tuned on "
        f"{', '.join(data['tuning'])} only; {', '.join(data['held_out'])} are held out.",
        "",
        "| excerpt | half | speakers | Lectern found | Lectern DER | senko found | senko DER |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in ami["rows"]:
        mine, peer = row["lectern"], row.get("senko") or {}
        lines.append(
            f"| {row['uri']} | {row['half'].replace('_', ' ')} | {mine['speakers']} | "
            f"{mine['found']} | {_pct(mine['der'])} | {peer.get('found', '–')} | "
            f"{_pct(peer.get('der'))} |"
        )
    lines += [
        "",
        "| half | Lectern mean DER | Lectern count right | senko mean DER | senko count right |",
        "|---|---|---|---|---|",
    ]
    for half, systems in ami["halves"].items():
        mine, peer = systems["lectern"], systems["senko"]
        lines.append(
            f"| {half.replace('_', ' ')} | **{_pct(mine['mean_der'])}** | "
            f"{mine['counts_right']} of {mine['files']} | {_pct(peer['mean_der'])} | "
            f"{peer['counts_right']} of {peer['files']} |"
        )
    stereo = data["stereo"]
    lines += [
        "",
        f"`stereo_diarization.wav` mixed down (two people, 5 s, talking over each other): Lectern "
        f"finds {stereo['lectern']}, senko {stereo['senko'] if stereo['senko'] is not None else '–'} "
        "(truth 2).",
        "",
        "Held-out synthetic speech (espeak-ng voices "
        f"{', '.join(data['synthetic']['voices'])}, used nowhere else): conversations of 2, 3 and "
        "4 voices, every third turn overlapping the previous by 0.6 s, and a lecture with two "
        "audience questions. *Right speaker*: the share of single-speaker speech time given to "
        "the right speaker (1 − (missed + confusion) / total, overlap skipped, no collar); "
        "*lecturer split*: the share of the lecturer's time given to other labels than his main "
        "one.",
        "",
        "| case | speakers | Lectern found | Lectern DER | Lectern right speaker | senko found | senko DER | senko right speaker |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in data["synthetic"]["rows"]:
        mine, peer = row["lectern"], row.get("senko") or {}
        extra = ""
        if "lecturer_split" in mine:
            extra = f" (lecturer split {_pct(mine['lecturer_split'])}"
            if "lecturer_split" in peer:
                extra += f"; senko {_pct(peer['lecturer_split'])}"
            extra += ")"
        lines.append(
            f"| {row['name']}{extra} | {mine['speakers']} | {mine['found']} | {_pct(mine['der'])} | "
            f"{_pct(mine['right_speaker'])} | {peer.get('found', '–')} | {_pct(peer.get('der'))} | "
            f"{_pct(peer.get('right_speaker'))} |"
        )
    lines += [
        "",
        f"Cost: on the lecture ({cost['audio_seconds']:.0f} s), diarization took "
        f"{_s(cost['diarization_seconds'])} against {_s(cost['transcription_seconds'])} to "
        f"transcribe it with `base` (beam 5) in the same run: "
        f"**{fmt_ratio(cost['vs_transcription'])}** (goal ≤ 0.25×, "
        f"{_ok(cost['vs_transcription']['median'], 0.25)}).",
        "",
        f"Goals: {data['goal']}.",
        "",
    ]
    return lines


def captions(data: dict[str, Any]) -> list[str]:
    lines = [
        "## Captions: readability on real speech",
        "",
        f"`{data['command']}` — `build_cues` (the SRT/VTT exports) on the real recordings in "
        "`../shared/media` and the ten AMI meeting excerpts (spontaneous speech, never tuned on), "
        "transcribed by `base` (greedy, no VAD: the tests' cached transcripts). With speakers: the "
        "AMI reference turns, cues cut at each change and opened with the speaker's label, as SRT "
        "is written. Goals: no cue under 0.8 s unless it stands alone between pauses, ≥ 99 % of "
        "cues at ≤ 20 characters a second, ≤ 42 characters a line, ≤ 2 lines.",
        "",
        "| recordings | cues | shortest | short, not alone | ≤ 20 cps | fastest | longest line "
        "| lines |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, name in (("all", "all, no speakers"), ("ami", "AMI, no speakers"),
                      ("ami_speakers", "AMI, true speakers")):  # fmt: skip
        row = data[key]
        lines.append(
            f"| {name} | {row['cues']} | {row['min_seconds']:.2f} s | {row['short_not_alone']} | "
            f"**{row['within_cps_share'] * 100:.1f} %**, {_ok(row['within_cps_share'], 0.99, below=False)} "
            f"| {row['max_cps']:.1f} cps | {row['max_line']} | {row['max_lines']} |"
        )
    lines.append("")
    return lines


def languages(data: dict[str, Any]) -> list[str]:
    lines = [
        "## Languages: mixed-language recordings keep every passage",
        "",
        f"`{data['command']}` — model `{data['model']}`, language left to detect. For each language "
        "span, the share of the reference's content (its letters in order, so that spelling slips "
        "and word splits count little) found in that span: *told* by the "
        "same model told the language and given only that span (a forced-language run), *before* "
        "by faster-whisper's single detection for the whole file (Lectern until now), *after* by "
        "Lectern's detection per stretch of speech. The reference is the text espeak-ng spoke for "
        "the synthetic inputs, and the told run itself for the real one. Goal: after ÷ told ≥ 90 % "
        "for every language. *Labelled right*: share of that span's transcript time tagged with its "
        "language. The real file was used while the detection was written (tuning); the synthetic "
        "ones were held out.",
        "",
        "| input | set | language | span | told | before | after | after ÷ told | labelled right |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        for span in row["spans"]:
            lines.append(
                f"| {row['input']} | {'held out' if row['held_out'] else 'tuning'} | "
                f"{span['language']} | {span['start']:.1f}–{span['end']:.1f} s | "
                f"{span['told'] * 100:.0f} % | {span['before'] * 100:.0f} % | "
                f"{span['after'] * 100:.0f} % | **{span['after_vs_told'] * 100:.0f} %**, "
                f"{_ok(span['after_vs_told'], 0.9, below=False)} | "
                f"{span['labelled_right'] * 100:.0f} % |"
            )
    lines += [
        "",
        "The speech check on the same runs (speech the voice-activity detector heard, the part no "
        "transcript word covers, lines taken out as not heard or looping):",
        "",
        "| input | speech | not covered | lines taken out |",
        "|---|---|---|---|",
    ]
    for row in data["rows"]:
        lines.append(
            f"| {row['input']} | {row['speech_seconds']:.1f} s | {row['missing_seconds']:.1f} s | "
            f"{len(row['removed'])} |"
        )
    lines += [
        "",
        "What detecting per stretch costs: the whole-file run against a plain one in the same "
        "run (bilingual: each language's span transcribed told its language; English: the file "
        "told `en`).",
        "",
        "| file | after | plain | ratio |",
        "|---|---|---|---|",
    ]
    for name, cost in data["costs"].items():
        lines.append(
            f"| {name} | {_s(cost['auto'])} | {_s(cost['plain'])} | {fmt_ratio(cost['ratio'])} |"
        )
    lines.append("")
    return lines


def layout(data: dict[str, Any]) -> list[str]:
    def iou(value: float | None) -> str:
        if value is None:
            return "—"
        return f"{value:.2f}" if value >= 0.85 else f"**{value:.2f}** ✗"

    def yes(value: bool | None) -> str:
        return "—" if value is None else ("yes" if value else "**no**")

    cost = data["layout_and_reframing_vs_transcription"]
    lines = [
        "## Layout: panels of unseen recordings, and vertical clips that keep the slides whole",
        "",
        f"`{data['command']}` — the corpus of `tests/synth_video.LAYOUT_CORPUS`: composed "
        "recordings whose camera is a real photograph of a person (scikit-image's astronaut while "
        "tuning; faces from its Labeled Faces in the Wild subset in the held-out set), moved and "
        "zoomed over time. Per variant: IoU of the detected boxes with the truth (goal ≥ 0.85), "
        f"and one vertical clip ({data['clip_size'][0]}×{data['clip_size'][1]}, with a cut) read "
        "back: Tesseract on the slide's part of three frames must find every word of the title on "
        "screen (*title read*; *as in source* counts only the words Tesseract reads in the "
        "source's own slide at that moment), and OpenCV's face detector must find the face inside "
        "the speaker panel (share of frames, every 0.5 s; goal ≥ 95 %).",
        "",
        "| variant | set | truth | found | clip | screen IoU | camera IoU | title read | "
        "as in source | face in panel |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in data["variants"]:
        arrangement = ", ".join(sorted({clip["arrangement"] for clip in row["clips"]}))
        face = "—" if row["face_rate"] is None else f"{row['face_rate'] * 100:.0f} %"
        lines.append(
            f"| {row['name']} ({row['size'][0]}×{row['size'][1]}, {row['fps']} fps) | "
            f"{'held out' if row['held_out'] else 'tuning'} | {row['kind']} | "
            f"{row['detected_kind']} ({row['confidence']:.2f}) | {arrangement} | "
            f"{iou(row['screen_iou'])} | {iou(row['camera_iou'])} | {yes(row['legible'])} | "
            f"{yes(row['legible_vs_source'])} | {face} |"
        )
    lines += ["", "| set | boxes ≥ 0.85 | lowest IoU | clips with every title word | "
              "… of those readable in the source | lowest face share |", "|---|---|---|---|---|---|"]  # fmt: skip
    for name in ("tuning", "held_out"):
        s = data[name]
        lowest = "—" if s["min_face_rate"] is None else f"{s['min_face_rate'] * 100:.0f} %"
        lines.append(
            f"| {name.replace('_', ' ')} | {s['boxes_meeting_goal']} of {s['boxes']} | "
            f"{s['min_iou']:.2f} | {s['clips_legible']} of {s['variants_with_slides']} | "
            f"{s['clips_legible_vs_source']} of {s['variants_with_slides']} | {lowest} |"
        )
    lines += [
        "",
        f"Cost, on the {data['lecture_seconds']:.0f} s lecture video of the highlights section: "
        f"layout detection and the reframing plans of five clips took "
        f"{_s(data['layout_and_reframing_seconds'])}, transcribing it with `{data['model']}` "
        f"{_s(data['transcription_seconds'])}: **{fmt_ratio(cost, 3)}** (goal ≤ 0.25×), "
        f"{_ok(cost['median'], 0.25)}.",
        "",
    ]
    return lines


def openai(data: dict[str, Any]) -> list[str]:
    r = data["compatible_over_own"]
    return [
        "## The OpenAI-compatible endpoint against Lectern's own API",
        "",
        f"`{data['command']}` — {data['audio_seconds']:.0f} s of speech, `{data['model']}`, one "
        "`manage.py qcluster` worker (warmed), gunicorn 2 × 4. Own API: `POST /api/v1/jobs`, then "
        "`GET /api/v1/jobs/<id>` every 50 ms until it succeeded, then the text. Compatible: the "
        "`openai` SDK's `audio.transcriptions.create` against `/v1` (the request waits for its "
        "job). Every job is deleted before each run, so the content cache never answers.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| own API, request to text | {_s(data['own_api_seconds'])} |",
        f"| compatible endpoint, request to text | {_s(data['compatible_seconds'])} |",
        f"| **compatible ÷ own** (goal ≤ 1.05×) | **{fmt_ratio(r)}**, {_ok(r['median'], 1.05)} |",
        f"| `stream=true`: time to the first `transcript.text.delta` | "
        f"{_s(data['stream_first_event_seconds'])} |",
        f"| `stream=true`: time to `transcript.text.done` | {_s(data['stream_total_seconds'])} |",
        f"| first event ÷ the whole stream | {fmt_ratio(data['first_event_over_total'])} |",
        "",
    ]


def scaleout(data: dict[str, Any]) -> list[str]:
    lines = [
        "## Scale-out: workers that share no folder, on PostgreSQL + Redis + object storage",
        "",
        f"`{data['command']}` — {data['jobs']} jobs of {data['clip_seconds']:.0f} s of speech each "
        "(every file distinct), made the way an upload makes them (`job_create`: the file to the "
        "bucket) and sent to the queue (Redis) together once the workers are ready, so that they "
        "drain a full queue. Workers: `manage.py qcluster` processes with "
        "`LECTERN_WORKERS=1`, each with its own scratch folder and no media folder in common. "
        "Transcription: the OpenAI backend against a server on 127.0.0.1 that answers after "
        f"{data['delay_seconds']:.1f} s, so that waiting on a remote service, not the 2 cores, is "
        "the bound. The bucket: moto's S3 server on 127.0.0.1 (MinIO's server is not on PyPI), "
        "through boto3 over HTTP. Throughput: jobs ÷ (the last end − the first enqueue). "
        "Wait: from the job's send to the queue to the worker's start.",
        "",
        "| workers | jobs/s | vs. half as many (goal ≥ 1.8×) | wait p50 | wait p95 | succeeded "
        "| one attempt | transcripts | requests to the server | files left in scratch |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    previous = None
    for key, row in sorted(data["rounds"].items(), key=lambda item: int(item[0])):
        if previous is None:
            versus = "–"
        else:
            gain = row["jobs_per_second"] / previous
            versus = f"**{gain:.2f}×**, {_ok(gain, 1.8, below=False)}"
        previous = row["jobs_per_second"]
        lines.append(
            f"| {key} | {row['jobs_per_second']:.2f} | {versus} | "
            f"{row['wait_median_seconds']:.1f} s | {row['wait_p95_seconds']:.1f} s | "
            f"{row['succeeded']} of {row['jobs']} | {row['one_attempt']} | {row['transcripts']} | "
            f"{row['transcription_requests']} | {row['scratch_files_left_by_live_workers']} |"
        )
    killed = data["killed"]
    lines += [
        "",
        "With one of 4 worker hosts killed (`kill -9` of its process group while it ran a job, after "
        "a quarter of the jobs had ended; the bench ran the sweeper every second, the schedule runs "
        f"it every minute): {killed['succeeded']} of {killed['jobs']} jobs succeeded, "
        f"{killed['transcripts']} transcripts, {killed['jobs'] - killed['one_attempt']} job(s) "
        f"needed a second attempt, {killed['transcription_requests']} requests to the "
        f"transcription server, {killed['jobs_per_second']:.2f} jobs/s, wait p95 (jobs of one "
        f"attempt) {killed['wait_p95_seconds']:.1f} s; the live workers left "
        f"{killed['scratch_files_left_by_live_workers']} files in their scratch folders, and the "
        f"bucket held {killed['objects_in_bucket']} objects (the {killed['jobs']} sources).",
        "",
    ]
    return lines


def study(data: dict[str, Any]) -> list[str]:
    one, every, ask = data["retrieval_one"], data["retrieval_all"], data["ask_all"]
    share = data.get("notes_share")
    items = data.get("notes_items") or {}
    lines = [
        "## Study: questions over 1,000 lectures, and the notes stage",
        "",
        f"`{data['command']}` — one user owning {data['transcripts']:,} transcripts of "
        f"{data['minutes_each']} minutes each ({data['segments']:,} lines) on SQLite (FTS5): "
        "filler lines of English words drawn with Zipf weights, and the six known lectures of "
        "`tests/study/corpus.py` padded to 30 minutes. Each of its "
        f"{data['questions']} questions (tuning and held-out) asked {data['repeats']} times; "
        "retrieval is `question_passages` (the full-text query, the lines around the matches, "
        "the ranking), the whole ask is `question_ask` without a model (retrieval, the "
        "extractive answer, the question's row).",
        "",
        "| figure | p50 | p95 (goal ≤ 100 ms) | max | hit rate, right topic in the top 3 |",
        "|---|---|---|---|---|",
        f"| retrieval, all my lectures | {every['p50_ms']:.1f} ms | **{every['p95_ms']:.1f} ms**, "
        f"{_ok(every['p95_ms'], 100)} | {every['max_ms']:.1f} ms | {data['hit_rate_all']:.0%} |",
        f"| retrieval, one lecture | {one['p50_ms']:.1f} ms | **{one['p95_ms']:.1f} ms**, "
        f"{_ok(one['p95_ms'], 100)} | {one['max_ms']:.1f} ms | {data['hit_rate_one']:.0%} |",
        f"| whole ask, all my lectures | {ask['p50_ms']:.1f} ms | {ask['p95_ms']:.1f} ms | "
        f"{ask['max_ms']:.1f} ms | |",
        "",
        f"Notes stage on 30 minutes ({data['notes_lines']} word-timed lines, no topics given, so "
        f"the local analyser runs too): {_s(data['notes_seconds'], 3)}, giving "
        f"{items.get('summary', 0)} summary sentences, {items.get('points', 0)} key points, "
        f"{items.get('glossary', 0)} glossary terms and {items.get('questions', 0)} questions. "
        + (
            f"Transcribing 30 minutes at the transcription section's job realtime factor "
            f"({data['transcription_realtime']:.1f}× with tiny.en) takes "
            f"{data['transcription_seconds']:.0f} s: **notes ÷ transcription = {share:.2%}**."
            if share is not None
            else "No transcription figure to divide by (run the transcription section)."
        ),
        "",
    ]
    return lines + _lecture_notes(data.get("lectures"))


def fairness(data: dict[str, Any]) -> list[str]:
    fair, arrival = data["fair"], data["arrival_order"]
    return [
        "## Fairness: one person's first job behind another person's backlog",
        "",
        f"`{data['command']}` — one user queues {data['backlog']} jobs, then a second user queues "
        f"one; every job a distinct {data['clip_seconds']:.0f} s clip of speech transcribed by "
        f"faster-whisper {data['model']}, made by `job_create` (SQLite, the ORM broker). One "
        "worker takes the `run_job` tasks from the broker in the order they were sent. Fair: "
        "each task runs the next fair job (`jobs.tasks.run_job`); reference, in the same run: "
        "each task runs its own job, i.e. arrival order (before issue 28). Wait: from the second "
        "user's job's creation to its start. (The bench raises `LECTERN_MAX_ACTIVE_JOBS_PER_USER` "
        "to let the backlog in.)",
        "",
        "| order | second user's wait | jobs run before it | mean job | all jobs drained | "
        "succeeded |",
        "|---|---|---|---|---|---|",
        f"| fair | **{fair['first_job_wait_seconds']:.1f} s** | **{fair['jobs_before_first_job']}** "
        f"| {fair['job_seconds_mean']:.2f} s | {fair['drain_seconds']:.1f} s | "
        f"{fair['succeeded']} of {fair['jobs']} |",
        f"| arrival order | {arrival['first_job_wait_seconds']:.1f} s | "
        f"{arrival['jobs_before_first_job']} | {arrival['job_seconds_mean']:.2f} s | "
        f"{arrival['drain_seconds']:.1f} s | {arrival['succeeded']} of {arrival['jobs']} |",
        "",
        f"Fair ÷ arrival order: the second user's wait **{data['wait_ratio']:.3f}×**; it waited "
        f"for {fair['jobs_before_first_job']} job(s) of the backlog (goal: one at most, "
        f"{_ok(fair['jobs_before_first_job'], 1)}). All jobs drained in "
        f"{data['drain_ratio']:.2f}× the reference's time (fairness must not slow the queue).",
        "",
    ]


WRITERS = {
    "transcription": transcription,
    "backends": backends,
    "highlights": highlights,
    "memory": memory,
    "web": web,
    "vocabulary": vocabulary,
    "speakers": speakers,
    "captions": captions,
    "layout": layout,
    "languages": languages,
    "openai": openai,
    "study": study,
    "scaleout": scaleout,
    "fairness": fairness,
}


def write_markdown(results: dict[str, Any], path: Path) -> None:
    machine = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`.venv/bin/python -m bench.run`) from `bench/results.json`; do not "
        "edit by hand. Every figure is a ratio against a reference measured in the same run, "
        "because the machine is shared; medians with min–max over the repeats. What each figure "
        "means: [bench/README.md](../bench/README.md).",
        "",
        f"Machine: {machine['cpus']} CPUs, {machine['platform']}, Python {machine['python']}; "
        f"load average at the end {', '.join(f'{x:.1f}' for x in machine['loadavg_at_end'])}."
        + (" **Quick mode: smoke figures only.**" if results.get("quick") else ""),
        "",
    ]
    for name, writer in WRITERS.items():
        data = results["sections"].get(name)
        if data and "error" in data:
            lines += [f"## {name}", "", f"Not measured in this run: `{data['error']}`.", ""]
        elif data:
            lines += writer(data)
            lines.append(
                f"_Section measured {data.get('measured_at', '?')} in "
                f"{data.get('section_seconds', 0):.0f} s._"
            )
            lines.append("")
    notes = results.get("notes_md")
    if notes:
        lines += [notes, ""]
    notes_file = path.parent.parent / "bench" / "NOTES.md"
    if notes_file.exists() and path.name == "benchmarks.md" and path.parent.name == "docs":
        lines += [notes_file.read_text().strip(), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
