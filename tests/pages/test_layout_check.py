"""The layout check on the job page: the detected boxes, the owner's correction, the re-render."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from jobs.models import Clip, Job
from jobs.tasks import rerender_layout
from tests.factories import job_from_file, laid_out_video_job
from transcripts.media import probe

pytestmark = pytest.mark.django_db


def test_it_shows_the_detected_boxes_over_a_frame(client, alice, split_video) -> None:
    job = laid_out_video_job(alice, split_video)
    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'id="layout-check"' in page
    assert "slides and camera" in page
    layout = job.analysis["layout"]
    x, y, w, h = layout["screen"]["box"]
    assert f'<rect x="{x}" y="{y}" width="{w}" height="{h}"' in page
    assert f"Camera {layout['camera']['confidence']:.2f}" in page
    assert Clip.objects.get(job=job).layout == "stacked"


def test_it_says_why_clips_kept_16_9_when_the_layout_is_unclear(client, alice, split_video):
    job = laid_out_video_job(alice, split_video, confidence=0.3)
    assert Clip.objects.get(job=job).layout == "full"
    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "The layout is unclear (confidence 0.30)" in page
    assert "1 clip kept the 16:9 picture" in page
    assert '<details class="layout-correct" open>' in page


def test_it_asks_the_owner_to_check_boxes_that_disagree_with_the_picture(
    client, alice, tmp_path
) -> None:
    """A still camera panel without a face, read as part of the slides: the page says the
    layout looks wrong, the clip kept the 16:9 picture, and a preset previews before it applies."""
    from tests.synth_video import LAYOUT_MISREAD, layout_variant

    video = layout_variant(tmp_path, LAYOUT_MISREAD[0]).video
    job = laid_out_video_job(alice, video)
    assert job.analysis["layout"]["doubts"] and Clip.objects.get(job=job).layout == "full"
    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Check the layout before trusting the clips: A panel border runs down" in page
    assert ">Layout: check</a>" in page  # its tab says so too
    assert "check the layout</a> before trusting them" in page  # and the highlights
    assert '<details class="layout-correct" open>' in page

    # The preset's boxes are drawn over the frame first (the Preview button, without script).
    url = reverse("jobs:layout", args=[job.pk])
    preview = client.post(url, {"preset": "slides-left", "action": "preview"})
    shown = preview.content.decode()
    assert preview.status_code == 200 and "Preview of “Slides left, camera right”" in shown
    assert "stroke-dasharray" in shown and "Camera (preview)" in shown
    assert (
        '<option value="slides-left" data-screen="0,0,480,360" data-camera="480,0,160,360" selected>'
        in shown
    )
    job.refresh_from_db()
    assert job.analysis["layout"].get("source") != "corrected"  # nothing applied yet
    # Saved, the owner's boxes are trusted and the doubt is gone from the page.
    client.post(url, {"preset": "slides-left", "action": "save"})
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Check the layout before trusting" not in page and ">Layout</a>" in page


def test_it_corrects_the_layout_and_renders_the_clips_again(
    client, alice, bob, split_video, django_capture_on_commit_callbacks
) -> None:
    from django_q.models import OrmQ

    job = laid_out_video_job(alice, split_video)
    clip_file = Path(Clip.objects.get(job=job).file.path)
    url = reverse("jobs:layout", args=[job.pk])

    client.force_login(bob)
    assert client.post(url, {"preset": "slides-only"}).status_code == 404

    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"preset": "slides-only"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Rendering the clips again for this layout: 0 of 1" in response.content.decode()
    assert OrmQ.objects.count() == 1  # queued for a worker
    job.refresh_from_db()
    assert job.analysis["layout"]["source"] == "corrected"
    assert job.analysis["layout"]["screen"]["box"] == [0, 0, 640, 360]
    assert job.analysis["layout"]["camera"] is None
    assert job.analysis["layout_detected"]["source"] == "detected"

    # The worker's part, then the page's poll: done, so the page reloads to show the clips.
    assert rerender_layout(str(job.pk)) == 1
    clip = Clip.objects.get(job=job)
    assert clip.layout == "slides"
    assert (probe(clip_file).width, probe(clip_file).height) == (720, 1280)
    poll = client.get(url + "?poll=1", headers={"HX-Request": "true"})
    assert poll["HX-Refresh"] == "true"
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Set by you" in page and "The clips were rendered again" in page


def test_it_takes_the_owners_own_boxes_and_refuses_boxes_outside_the_frame(
    client, alice, split_video
) -> None:
    job = laid_out_video_job(alice, split_video)
    url = reverse("jobs:layout", args=[job.pk])
    client.force_login(alice)
    boxes = {"preset": "custom", "screen_x": 0, "screen_y": 0, "screen_w": 480, "screen_h": 360}
    bad = client.post(url, {**boxes, "screen_w": 900}, headers={"HX-Request": "true"})
    assert bad.status_code == 400 and "inside the 640x360 frame" in bad.content.decode()
    camera = {"camera_x": 480, "camera_y": 0, "camera_w": 160, "camera_h": 360}
    good = client.post(url, {**boxes, **camera})
    assert good.status_code == 302 and good["Location"].endswith("#layout-check")
    job.refresh_from_db()
    assert job.analysis["layout"]["camera"]["box"] == [480, 0, 160, 360]
    assert job.analysis["rerender"]["state"] == "queued"


def test_it_shows_the_layout_to_staff_in_the_admin(client, staff, alice, split_video) -> None:
    job = laid_out_video_job(alice, split_video)
    client.force_login(staff)
    page = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert "detected: split, confidence" in page and "slides [" in page and "camera [" in page


def test_it_keeps_the_owners_correction_when_the_job_runs_again(alice, split_video, settings):
    from jobs.pages.layout_check import layout_correct
    from jobs.services import job_retry
    from jobs.tasks import run_job

    settings.LECTERN_MODEL = "tiny.en"
    job = job_from_file(alice, split_video, name="lecture.mp4", highlights=True)
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED, Job.objects.get(pk=job.pk).error_detail
    job.refresh_from_db()
    assert job.analysis["layout"]["source"] == "detected"
    layout_correct(job=job, screen=(0, 0, 640, 360), camera=None, rerender=False)

    # Run again from the start (a retry): the owner's boxes stay, the detector's are kept aside.
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED)
    job.refresh_from_db()
    assert job_retry(job=job)
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED, Job.objects.get(pk=job.pk).error_detail
    job.refresh_from_db()
    assert job.analysis["layout"]["source"] == "corrected"
    assert job.analysis["layout"]["screen"]["box"] == [0, 0, 640, 360]
    assert job.analysis["layout_detected"]["source"] == "detected"
