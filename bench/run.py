"""Run the benchmarks and write docs/benchmarks.md and bench/results.json.

.venv/bin/python -m bench.run                       # everything (~15-20 min on 2 cores)
.venv/bin/python -m bench.run --only memory web     # some sections; other sections' figures
                                                 # are kept from the previous results.json
.venv/bin/python -m bench.run --quick               # 2-min audio, 1 repeat: a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
import traceback
from pathlib import Path
from typing import Any

from bench import env
from bench.report import write_markdown

SECTIONS = (
    "transcription", "backends", "highlights", "memory", "web", "vocabulary", "speakers",
    "captions", "languages", "layout", "openai", "scaleout", "study", "fairness",
)  # fmt: skip
RESULTS = env.REPO / "bench" / "results.json"
DOC = env.REPO / "docs" / "benchmarks.md"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="2-min audio, 1 repeat, no files kept")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="results folder (quick: a temp one)")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite the doc from results.json, measure nothing",
    )
    args = parser.parse_args(argv)
    if args.render_only:
        write_markdown(json.loads(RESULTS.read_text()), DOC)
        return

    data_dir = env.prepare()
    from bench import corpus

    repeats = 1 if args.quick else args.repeats
    short = corpus.speech_file(2)
    main_file = short if args.quick else corpus.speech_file(10)
    long = corpus.looped(main_file, 2 if args.quick else 6)

    previous: dict[str, Any] = {}
    results_path = RESULTS if args.out is None else args.out / "results.json"
    doc_path = DOC if args.out is None else args.out / "benchmarks.md"
    if results_path.exists():
        previous = json.loads(results_path.read_text()).get("sections", {})
    sections: dict[str, Any] = {k: v for k, v in previous.items() if k in SECTIONS}
    started = time.perf_counter()
    for name in args.only:
        began = time.perf_counter()
        print(f"bench: {name} …", flush=True)
        try:
            sections[name] = measure(name, args, data_dir, repeats, short, main_file, long)
        except Exception as exc:  # one broken section must not lose the others' figures
            traceback.print_exc()
            sections[name] = {"error": f"{type(exc).__name__}: {exc}"}
        sections[name]["section_seconds"] = time.perf_counter() - began
        sections[name]["measured_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
        print(f"bench: {name} done in {time.perf_counter() - began:.0f} s", flush=True)
        # Saved after every section, so that a crash later keeps what was measured.
        save(results_path, {"partial": True, "sections": sections})
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_at_end": list(os.getloadavg()),
        },
        "quick": args.quick,
        "ran": args.only,
        "seconds": time.perf_counter() - started,
        "sections": sections,
    }
    save(results_path, results)
    write_markdown(results, doc_path)
    shutil.rmtree(data_dir, ignore_errors=True)
    print(f"bench: wrote {doc_path} and {results_path}")


def save(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, default=str) + "\n")


def measure(
    name: str,
    args: argparse.Namespace,
    data_dir: Path,
    repeats: int,
    short: Any,
    main_file: Any,
    long: Any,
) -> dict[str, Any]:
    from bench import backends, highlights, memory, speakers, transcription, vocabulary, web

    if name == "transcription":
        return transcription.measure(main_file, data_dir, repeats)
    if name == "backends":
        return backends.measure(short, max(1, min(repeats, 2)), quick=args.quick)
    if name == "highlights":
        return highlights.measure(repeats)
    if name == "memory":
        return memory.measure(main_file, long)
    if name == "vocabulary":
        return vocabulary.measure(repeats)
    if name == "speakers":
        return speakers.measure(repeats)
    if name == "captions":
        from bench import captions

        return captions.measure()
    if name == "languages":
        from bench import languages

        return languages.measure(repeats, short)
    if name == "layout":
        from bench import layout

        return layout.measure(repeats)
    if name == "openai":
        from bench import openai_compat

        return openai_compat.measure(main_file, data_dir, repeats)
    if name == "scaleout":
        from bench import scaleout

        return scaleout.measure(quick=args.quick)
    if name == "study":
        from bench import study

        return study.measure(1 if args.quick else 5)
    if name == "fairness":
        from bench import fairness

        return fairness.measure(quick=args.quick)
    if name == "web":
        return web.measure(long, data_dir, repeats, 8 if args.quick else 40)
    raise ValueError(name)


if __name__ == "__main__":
    main()
