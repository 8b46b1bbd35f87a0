"""A synthetic lecture whose slides carry rare technical terms, to measure the slide prompt.

The picture is the one ``tests.synth_video`` draws (slides on the left, a noisy camera panel on the
right); the slides and the speech are different: each topic names terms that espeak-ng pronounces
recognisably but that Whisper tiny.en spells wrong without help ("rubisco" comes out as
"rubiscophics", "Robespierre" as "Robes the outlet", "Avogadro" as "gadro").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.synth import speech
from tests.synth_video import CAMERA_BOX, SCREEN_BOX, _render, slide_image

# (slide title, bullets, what the lecturer says while the slide is up)
SLIDES: list[tuple[str, list[str], str]] = [
    (
        "Rubisco and the Calvin cycle",
        ["Rubisco fixes carbon dioxide", "Thylakoid membranes hold chlorophyll", "Stomata"],
        "The enzyme rubisco fixes carbon dioxide in the Calvin cycle. Inside the chloroplast the "
        "thylakoid membranes hold the chlorophyll. The stomata on the leaf let carbon dioxide in.",
    ),
    (
        "Robespierre and the Terror",
        ["Robespierre led the Jacobins", "The Committee of Public Safety", "Thermidor"],
        "Robespierre led the Jacobins during the Terror. The Jacobins met in a former convent in "
        "Paris. In the end Robespierre himself was arrested and executed.",
    ),
    (
        "Avogadro and the Krebs cycle",
        ["Avogadro's number: molecules per mole", "Krebs cycle in the mitochondria"],
        "Avogadro's number counts the molecules in one mole. In the cell, glucose is broken down "
        "and the Krebs cycle runs in the mitochondria.",
    ),
]
# The words the slide prompt should help with, as the reference spells them.
TERMS = (
    "rubisco",
    "Calvin",
    "thylakoid",
    "stomata",
    "Robespierre",
    "Jacobins",
    "Avogadro",
    "Krebs",
)


@dataclass
class SlidesLecture:
    video: Path
    audio: Path  # the speech as a 16 kHz mono WAV
    duration: float
    slide_changes: list[float]
    titles: list[str]
    text: str  # everything said
    screen_box: tuple[int, int, int, int]
    camera_box: tuple[int, int, int, int]


def slides_lecture(directory: Path, *, fps: int = 4, pause: float = 2.0) -> SlidesLecture:
    """Write ``slides.mp4`` and ``slides.wav`` into ``directory`` and describe them."""
    directory.mkdir(parents=True, exist_ok=True)
    spoken = speech([said for _, _, said in SLIDES], directory / "slides.wav", pause=pause)
    # The lecturer clicks to the next slide just before speaking about it.
    changes = [round(start - 0.5, 2) for start, _ in spoken.spans[1:]]
    images = [
        slide_image(title, bullets, directory / f"slide{index}.png")
        for index, (title, bullets, _) in enumerate(SLIDES)
    ]
    video = directory / "slides.mp4"
    _render(video, spoken.path, images, changes, spoken.duration, fps)
    return SlidesLecture(
        video=video,
        audio=spoken.path,
        duration=spoken.duration,
        slide_changes=changes,
        titles=[title for title, _, _ in SLIDES],
        text=spoken.text,
        screen_box=SCREEN_BOX,
        camera_box=CAMERA_BOX,
    )


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", re.sub(r"'s\b", "", text.lower()))


def term_error_rate(reference: str, hypothesis: str, terms: tuple[str, ...] = TERMS) -> float:
    """The share of the terms' occurrences in ``reference`` that ``hypothesis`` does not spell out.

    Occurrences are counted per term (a term said twice and written once is half right); case,
    punctuation and a possessive "'s" do not matter.
    """
    said, written = _words(reference), _words(hypothesis)
    total = missed = 0
    for term in terms:
        wanted = said.count(term.lower())
        total += wanted
        missed += max(0, wanted - written.count(term.lower()))
    return missed / total if total else 0.0
