"""The stages a run goes through and their share of the progress bar. Imports nothing: the pages
read it for progress and time estimates without loading the runner's stages."""

from __future__ import annotations

# Stage names, as the job's ``stage`` field stores them (jobs.models.Job.Stage).
FETCH, EXTRACT, LAYOUT, TRANSCRIBE, STORE = "fetch", "extract", "layout", "transcribe", "store"
SILENCES, ANALYSE, SELECT, RENDER = "silences", "analyse", "select", "render"
NOTES = "notes"

Plan = list[tuple[str, int]]
# The stages a run goes through and their share of the progress bar, by what they cost on a CPU.
PLAN_TRANSCRIPT: Plan = [(FETCH, 3), (EXTRACT, 5), (TRANSCRIBE, 87), (STORE, 4), (NOTES, 1)]
# A transcript-only video still reads its slides first, for the transcription's glossary.
PLAN_TRANSCRIPT_SLIDES: Plan = [
    (FETCH, 3), (EXTRACT, 5), (LAYOUT, 6), (TRANSCRIBE, 81), (STORE, 4), (NOTES, 1),
]  # fmt: skip
PLAN_HIGHLIGHTS: Plan = [
    (FETCH, 2),
    (EXTRACT, 3),
    (LAYOUT, 4),
    (TRANSCRIBE, 60),
    (STORE, 2),
    (SILENCES, 1),
    (ANALYSE, 4),
    (SELECT, 1),
    (RENDER, 22),
    (NOTES, 1),
]


def spans(plan: Plan) -> dict[str, tuple[int, int]]:
    """Each stage's (first, last) percentage of the progress bar."""
    total = sum(weight for _, weight in plan)
    result, done = {}, 0
    for stage, weight in plan:
        result[stage] = (round(100 * done / total), round(100 * (done + weight) / total))
        done += weight
    return result
