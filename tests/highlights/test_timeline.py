from __future__ import annotations

import xml.etree.ElementTree as ET

from jobs.highlights.analysers import AnalysisResult, Topic
from jobs.highlights.selection import SelectionResult
from jobs.highlights.silences import SilenceResult
from jobs.highlights.timeline import timeline_svg
from tests.synth_video import SynthLecture

SVG = "{http://www.w3.org/2000/svg}"


def test_it_draws_speech_topics_and_clips_as_accessible_svg(
    lecture: SynthLecture,
    silences: SilenceResult,
    analysis: AnalysisResult,
    selection: SelectionResult,
) -> None:
    svg = timeline_svg(
        lecture.duration,
        silences=silences.silences,
        topics=analysis.topics,
        clips=selection.clips,
        title="Timeline of the lecture",
    )
    root = ET.fromstring(svg)  # well-formed XML
    assert root.get("role") == "img"
    assert "3 topics, 3 highlight clips" in root.get("aria-label", "")
    assert root.find(f"{SVG}title").text == "Timeline of the lecture"
    assert root.get("aria-labelledby") == "timeline-title timeline-desc"
    groups = {g.get("class"): g for g in root.iter(f"{SVG}g")}
    assert len(groups["speech"].findall(f"{SVG}rect")) == 1 + len(silences.silences)
    assert len(groups["topics"].findall(f"{SVG}rect")) == 3
    assert len(groups["clips"].findall(f"{SVG}rect")) == 3
    tooltips = [t.text for t in groups["clips"].iter(f"{SVG}title")]
    assert tooltips[0].startswith("Clip 1: ")


def test_it_escapes_text_and_places_blocks_in_time() -> None:
    topics = [Topic(0, 50, "Fish & <chips>", "", 0.5, ""), Topic(50, 100, "B", "", 1.0, "")]
    svg = timeline_svg(100, topics=topics, id_prefix="t2")
    root = ET.fromstring(svg)
    rects = root.find(f"{SVG}g[@class='topics']").findall(f"{SVG}rect")
    assert float(rects[0].get("x")) < float(rects[1].get("x"))
    assert abs(float(rects[0].get("width")) - float(rects[1].get("width"))) < 0.01
    assert "Fish &amp; &lt;chips&gt;" in svg
    assert 'id="t2-title"' in svg
