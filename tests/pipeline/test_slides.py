"""Slide text: OCR at each slide change, a glossary for transcription, titles for the topics.

The measurement: a synthetic lecture whose slides name rare terms ("rubisco", "Robespierre",
"Avogadro"), transcribed by tiny.en with and without the glossary read off its own slides.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.urls import reverse

from jobs.highlights.analysers.base import Topic
from jobs.highlights.layout import detect_layout
from jobs.highlights.vocabulary import (
    clean_title,
    distinctive_terms,
    glossary_prompt,
    retitle_topics,
)
from jobs.models import Job
from jobs.pipeline.stages.slides import parse_tsv, read_slides, title_of
from jobs.pipeline.stages.transcribe import transcribe
from jobs.tasks import run_job
from tests.factories import job_from_file
from tests.synth_slides import SLIDES, SlidesLecture, slides_lecture, term_error_rate
from transcripts.backends.base import TranscribeOptions


@pytest.fixture(scope="module")
def lecture(tmp_path_factory: pytest.TempPathFactory) -> SlidesLecture:
    return slides_lecture(tmp_path_factory.mktemp("slides-lecture"))


def test_it_picks_rare_terms_for_the_glossary() -> None:
    texts = [
        "Rubisco and the Calvin cycle\nRubisco fixes carbon dioxide\ne Stomata",
        "The French revolution\nRobespierre led the Jacobins\nATP is made here",
    ]
    words = [term.word for term in distinctive_terms([*texts, "Biology, week 3"])]
    assert words[0] == "rubisco"  # on the slides twice, capitalised only by its place
    # Names keep the capital they have in mid-sentence; the rest is in lower case.
    assert {"Calvin", "stomata", "robespierre", "Jacobins", "ATP"} <= set(words)
    assert not {"cycle", "carbon", "dioxide", "revolution", "French", "the", "e"} & set(words)
    assert glossary_prompt(["rubisco", "Calvin"]) == "Glossary: rubisco, Calvin."
    assert glossary_prompt([]) == ""
    assert len(glossary_prompt([f"term{i}word" for i in range(200)], max_chars=100)) <= 100


def test_it_takes_the_tallest_line_for_the_title() -> None:
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "5\t1\t1\t1\t1\t1\t10\t10\t200\t60\t95\tRubisco",
        "5\t1\t1\t1\t1\t2\t220\t10\t120\t58\t94\tcycle",
        "5\t1\t2\t1\t1\t1\t10\t100\t100\t30\t91\tFixes",
        "5\t1\t2\t1\t1\t2\t120\t100\t100\t30\t12\t~~",  # noise: low confidence
        "5\t1\t2\t1\t2\t1\t10\t140\t100\t31\t90\tcarbon",
    ]
    lines = parse_tsv("\n".join([header, *rows]))
    assert [line.text for line in lines] == ["Rubisco cycle", "Fixes", "carbon"]
    assert title_of(lines) == "Rubisco cycle"


def test_it_keeps_only_short_meaningful_slide_titles() -> None:
    assert clean_title("  Robespierre and the Terror ") == "Robespierre and the Terror"
    assert clean_title("Outline") == "" and clean_title("Any questions?") == ""
    assert clean_title("e@ ~ 3") == "" and clean_title("x" * 80) == ""

    topics = [
        Topic(0.0, 14.0, "photosynthesis words", "", 0.5, ""),
        Topic(14.0, 20.0, "still the same slide", "", 0.5, ""),
        Topic(20.0, 40.0, "revolution words", "", 0.5, ""),
    ]
    slides = [(0.0, "Rubisco and the Calvin cycle"), (19.0, "Outline")]
    assert retitle_topics(topics, slides, end=40.0) == 1
    # The second topic is on the same slide (it keeps its own title); "Outline" says nothing.
    assert [t.title for t in topics] == [
        "Rubisco and the Calvin cycle",
        "still the same slide",
        "revolution words",
    ]


def test_it_reads_each_slide_at_its_change(lecture: SlidesLecture, tmp_path: Path) -> None:
    layout = detect_layout(lecture.video)
    read = read_slides(lecture.video, layout, tmp_path / "slides", duration=lecture.duration)
    assert read.note == ""
    assert [slide.title for slide in read.slides] == lecture.titles
    for slide, change in zip(read.slides[1:], lecture.slide_changes, strict=True):
        assert abs(slide.time - change) <= layout.interval
    assert all(slide.image.name.startswith("slide-") for slide in read.slides)
    assert all(slide.image.stat().st_size > 1000 for slide in read.slides)
    assert "Robespierre led the Jacobins" in read.slides[1].text


def test_it_transcribes_slide_terms_better_with_the_slide_prompt(
    lecture: SlidesLecture, settings, tmp_path: Path
) -> None:
    settings.LECTERN_MODEL = "tiny.en"
    layout = detect_layout(lecture.video)
    read = read_slides(lecture.video, layout, tmp_path / "slides", duration=lecture.duration)
    terms = distinctive_terms(read.texts)
    plain = TranscribeOptions(language="en")
    prompted = TranscribeOptions(language="en", initial_prompt=glossary_prompt(terms))
    rates, seconds = {}, {}
    for name, options in (("plain", plain), ("prompted", prompted)):
        started = time.perf_counter()
        result = transcribe(lecture.audio, options, duration=lecture.duration).result
        seconds[name] = time.perf_counter() - started
        rates[name] = term_error_rate(lecture.text, result.text)
        print(f"\n{name}: term error rate {rates[name]:.3f} ({seconds[name]:.1f} s): {result.text}")
    print(f"glossary: {glossary_prompt(terms)}")
    assert rates["prompted"] <= rates["plain"]
    assert rates["prompted"] <= 0.25  # measured 0.0 (plain: 0.8) with tiny.en


@pytest.mark.django_db(transaction=True)
def test_it_notes_a_missing_tesseract_and_still_transcribes(
    alice, lecture: SlidesLecture, settings
) -> None:
    settings.LECTERN_MODEL = "tiny.en"
    settings.LECTERN_TESSERACT = "/nonexistent/tesseract"
    job = job_from_file(alice, lecture.video, name="slides.mp4", highlights=False)
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED, Job.objects.get(pk=job.pk).error_detail
    job.refresh_from_db()
    assert "Tesseract" in job.note and "/nonexistent/tesseract" in job.note
    assert job.analysis["slides"] == []
    assert job.transcript.segments.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_shows_slides_and_names_topics_after_them(
    client, alice, bob, lecture: SlidesLecture, settings, media_root: Path
) -> None:
    settings.LECTERN_MODEL = "tiny.en"
    settings.HIGHLIGHTS = {**settings.HIGHLIGHTS, "count": 1}
    job = job_from_file(alice, lecture.video, name="slides.mp4", title="Three lectures")
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED, Job.objects.get(pk=job.pk).error_detail
    job.refresh_from_db()
    slides = job.analysis["slides"]
    assert [slide["title"] for slide in slides] == [title for title, _, _ in SLIDES]
    assert all(
        slide["image"] == f"jobs/{job.pk}/slides/slide-{i + 1:02d}.jpg"
        for i, slide in enumerate(slides)
    )
    assert (media_root / slides[0]["image"]).is_file()
    # The glossary reached the speech model: the rare terms are spelled as on the slides.
    text = " ".join(segment.text for segment in job.transcript.segments.all())
    assert "Robespierre" in text and "Avogadro" in text
    titles = {topic["title"] for topic in job.analysis["topics"]}
    assert titles & set(lecture.titles)

    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'class="slides"' in page and page.count('class="slide"') == len(slides)
    second = reverse("jobs:slide-image", args=[job.pk, 1])
    assert f'src="{second}"' in page
    assert f'data-start="{slides[1]["time"]}"' in page
    # In the transcript too, each slide just before the segment it came up in.
    transcript = page[page.index('class="transcript"') :]
    assert transcript.count('class="transcript-slide"') == len(slides)
    for slide in slides[1:]:
        spoken = next(s for s in job.transcript.segments.all() if s.end > slide["time"])
        slide_at = transcript.index(f'data-start="{slide["time"]}"')
        assert slide_at < transcript.index(f'id="segment-{spoken.index}"')
        if spoken.index > 0:
            assert transcript.index(f'id="segment-{spoken.index - 1}"') < slide_at
    image = client.get(second)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert client.get(reverse("jobs:slide-image", args=[job.pk, 9])).status_code == 404

    client.force_login(bob)
    assert client.get(second).status_code == 404

    # Bob uploads the same video: nothing tells him Alice did (it queues like any job), the
    # worker reuses her transcript (same bytes, settings and title, so the same prompt), and his
    # poster and slide pictures are made from his own upload, so they outlive Alice's job.
    again = job_from_file(
        bob, lecture.video, name="mine.mp4", title="Three lectures", highlights=False
    )
    assert not again.cached_from_hash and again.status == Job.Status.QUEUED
    assert run_job(str(again.pk)) == Job.Status.SUCCEEDED
    again.refresh_from_db()
    assert again.cached_from_hash
    assert again.poster.name == f"{again.media_dir()}/poster.jpg"
    assert [slide["title"] for slide in again.analysis["slides"]] == lecture.titles
    assert all(s["image"].startswith(f"{again.media_dir()}/") for s in again.analysis["slides"])
    from jobs.services import job_delete

    job_delete(job=job)
    for url in (reverse("jobs:poster", args=[again.pk]),
                reverse("jobs:slide-image", args=[again.pk, 1])):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
