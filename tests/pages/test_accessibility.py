"""What axe-core found on the pages, checked on the server's HTML: every ``aria-describedby``
names an element of the page, a link's name contains its visible text, timeline labels reach 4.5:1.

The browser run of axe-core itself is in tests/browser/.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from jobs.highlights.timeline import blend, contrast, timeline_svg
from tests.factories import add_clip, finished_job

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.described_by: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"])
        self.described_by += (found.get("aria-describedby") or "").split()


def test_it_points_every_aria_describedby_of_the_dashboard_at_an_element(client, alice):
    client.force_login(alice)
    parser = _Ids()
    parser.feed(client.get("/").content.decode())
    assert parser.described_by  # the form's fields with help text
    assert set(parser.described_by) <= parser.ids, set(parser.described_by) - parser.ids


def test_it_names_the_transcripts_slide_links_by_their_visible_text(client, alice):
    job = finished_job(alice, "talk.mp4", ["First line.", "Second line."])
    job.analysis = {"slides": [{"time": 12.0, "title": "Photosynthesis", "image": "x.jpg"}]}
    job.save()
    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    slide = re.search(r'<li class="transcript-slide">(.*?)</li>', page, re.S).group(1)
    assert "aria-label" not in slide  # the name comes from the contents, visible text first
    visible = re.sub(r"<[^>]+>", " ", slide.split('class="visually-hidden"')[0])
    assert "Slide at 0:12" in " ".join(visible.split()) and "Photosynthesis" in visible


def test_it_draws_timeline_labels_with_enough_contrast() -> None:
    topics = [
        {"start": 0, "end": 40, "title": "Faint topic", "importance": 0.0},
        {"start": 40, "end": 80, "title": "Middling topic", "importance": 0.5},
        {"start": 80, "end": 120, "title": "Key topic", "importance": 1.0},
    ]
    clips = [{"start": 10, "end": 30, "title": "A clip", "rank": 1}]
    root = ET.fromstring(timeline_svg(120, topics=topics, clips=clips))
    for group in ("topics", "clips"):
        blocks = root.find(f"{SVG}g[@class='{group}']")
        rects, labels = blocks.findall(f"{SVG}rect"), blocks.findall(f"{SVG}text")
        assert labels
        for rect, label in zip(rects, labels, strict=True):
            seen = blend(rect.get("fill"), float(rect.get("fill-opacity", "1")))
            # The stylesheet's fills for the label classes (static/css/lectern.css).
            text = "#000000" if "on-light" in label.get("class", "") else "#ffffff"
            assert contrast(text, seen) >= 4.5, (label.text, seen, text)


def test_it_numbers_clips_on_the_timeline_in_time_order(client, alice) -> None:
    # Ranked best first, the best clip last in time: the picture still reads 1, 2, 3.
    clips = [
        {"start": 80, "end": 90, "title": "Best", "rank": 1},
        {"start": 40, "end": 50, "title": "Second", "rank": 2},
        {"start": 0, "end": 10, "title": "Third", "rank": 3},
    ]
    root = ET.fromstring(timeline_svg(100, clips=clips))
    blocks = root.find(f"{SVG}g[@class='clips']")
    assert [label.text for label in blocks.findall(f"{SVG}text")] == ["1", "2", "3"]
    xs = [float(rect.get("x")) for rect in blocks.findall(f"{SVG}rect")]
    assert xs == sorted(xs)
    titles = [title.text for title in blocks.iter(f"{SVG}title")]
    assert titles[0].startswith("Clip 1: Third") and "rank 3 of 3" in titles[0]

    # And on the job page, where the clips come from the database by rank.
    job = finished_job(alice, "talk.mp4", ["Hello."])
    for index in range(3):
        clip = add_clip(job, index)
        clip.start, clip.end = 20.0 - 10 * index, 25.0 - 10 * index  # rank 0 plays last
        clip.save()
    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    timeline = page[page.index('class="timeline"') :]
    timeline = timeline[: timeline.index("</svg>")]
    assert re.findall(r'class="block-label"[^>]*>(\d)</text>', timeline) == ["1", "2", "3"]
    # The gallery lists them in the same order, with the same numbers.
    gallery = re.findall(r'<span class="clip-number">(\d)\.</span> Clip (\d)', page)
    assert gallery == [("1", "2"), ("2", "1"), ("3", "0")]
