"""The dashboard's job list: it refreshes itself while a job is active, and shows each job's
stage, progress, queue position and time left, estimated per backend and per stage."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs import selectors
from jobs.models import Job
from jobs.pipeline import plans
from jobs.templatetags.lectern import time_left
from tests.factories import finished_job

pytestmark = pytest.mark.django_db


def _done(owner, *, backend: str, speed: float, duration: float = 600, wall: float | None = None,
          video: bool = False, model: str = "base") -> Job:  # fmt: skip
    """A finished job as the worker leaves it: what ran, how fast, when it started and ended."""
    end = timezone.now()
    wall = duration / speed if wall is None else wall
    return Job.objects.create(
        owner=owner, status=Job.Status.SUCCEEDED, stage=Job.Stage.DONE, progress=100,
        duration=duration, backend=backend, model_name=model, realtime_factor=speed,
        has_video=video, started_at=end - timedelta(seconds=wall), finished_at=end,
    )  # fmt: skip


def test_it_says_the_time_left_in_plain_grammatical_words() -> None:
    assert time_left(20) == "less than a minute left"
    assert time_left(59) == "less than a minute left"
    assert time_left(61) == "about 1 minute left"
    assert time_left(130) == "about 2 minutes left"
    assert time_left(80 * 60) == "about 1 h 20 min left"
    assert time_left(None) == ""


def test_it_uses_each_backends_own_measured_speed(bob, settings) -> None:
    settings.LECTERN_BACKEND = ""
    _done(bob, backend="faster-whisper", speed=10.0)
    _done(bob, backend="openai", speed=60.0, model="whisper-1")
    estimator = selectors.Estimator()
    assert estimator.realtime_factor("faster-whisper", "base") == 10.0
    assert estimator.realtime_factor("openai", "whisper-1") == 60.0
    # A model without history of its own takes its backend's; an unknown backend, everyone's.
    assert estimator.realtime_factor("faster-whisper", "small") == 10.0
    assert estimator.realtime_factor("mlx", "") == pytest.approx(35.0)

    # A queued job that asked for OpenAI is estimated at OpenAI's speed, not at a global one.
    asked = Job.objects.create(owner=bob, duration=600, requested_backend="openai")
    plain = Job.objects.create(owner=bob, duration=600)
    assert estimator.backend_of(asked) == ("openai", "")
    # Nothing asked: the backend this server ran last (openai, finished after faster-whisper).
    assert estimator.backend_of(plain)[0] == "openai"
    settings.LECTERN_BACKEND = "faster-whisper"
    assert estimator.backend_of(plain)[0] == "faster-whisper"


def test_it_estimates_the_stages_after_transcription_from_their_own_history(bob) -> None:
    # Transcription ran at 10x; the whole job took 600/10 + 0.5 * 600 s: the highlight stages
    # cost half a second of work per second of video, which the transcription speed says nothing of.
    _done(bob, backend="faster-whisper", speed=10.0, wall=60 + 300, video=True)
    _done(bob, backend="faster-whisper", speed=10.0, wall=60 + 6)  # audio: 0.01 s per second
    estimator = selectors.Estimator()
    assert estimator.other_stages(True) == pytest.approx(0.5)
    assert estimator.other_stages(False) == pytest.approx(0.01)

    rendering = Job.objects.create(
        owner=bob, status=Job.Status.RUNNING, stage=Job.Stage.RENDER, duration=600,
        has_video=True, backend="faster-whisper", model_name="base",
    )  # fmt: skip
    low, high = plans.spans(plans.PLAN_HIGHLIGHTS)["render"]
    rendering.progress = low
    at_start = estimator.work_left(rendering)
    rendering.progress = high
    assert estimator.work_left(rendering) < at_start
    # Rendering the clips is highlight work: no transcription time is left in it.
    assert at_start < 0.5 * 600

    transcribing = Job.objects.create(
        owner=bob, status=Job.Status.RUNNING, stage=Job.Stage.TRANSCRIBE, duration=600,
        backend="faster-whisper", model_name="base",
    )  # fmt: skip
    low, high = plans.spans(plans.PLAN_TRANSCRIPT)["transcribe"]
    transcribing.progress = (low + high) // 2
    left = estimator.work_left(transcribing)
    # About half of the 60 s of transcription, and the 4% of the rest that comes after it.
    assert 28 < left < 33


def test_it_puts_a_queued_job_behind_the_work_ahead_of_it(alice, bob) -> None:
    # Nothing but transcription; alice's, so that bob, never served, is next in the fair order.
    _done(alice, backend="faster-whisper", speed=10.0, wall=60)
    first = Job.objects.create(owner=bob, duration=600)
    mine = Job.objects.create(owner=alice, duration=300)

    assert selectors.estimate(first).queue_position == 1
    estimate = selectors.estimate(mine)
    assert estimate.queue_position == 2
    assert estimate.seconds_left == pytest.approx((600 + 300) / 10.0)
    # Two workers share the work ahead.
    assert selectors.estimate(mine, workers=2).seconds_left == pytest.approx(600 / 10 / 2 + 30)


def test_it_places_a_newcomer_after_one_job_of_a_backlog(alice, bob) -> None:
    """The workers take jobs fairly between people (jobs.selectors.fair_queue): the position
    shown is that order, not the order of arrival."""
    _done(bob, backend="faster-whisper", speed=10.0, wall=60)
    backlog = [Job.objects.create(owner=bob, duration=60) for _ in range(5)]
    mine = Job.objects.create(owner=alice, duration=60)
    running = Job.objects.create(owner=bob, status=Job.Status.RUNNING, duration=60)

    estimator = selectors.Estimator()
    assert estimator.estimate(mine).queue_position == 1  # bob has a job running, alice none
    running.delete()
    estimator = selectors.Estimator()
    assert estimator.estimate(mine).queue_position == 1  # bob was served, alice never
    assert [estimator.estimate(job).queue_position for job in backlog] == [2, 3, 4, 5, 6]
    assert selectors.fair_queue(limit=2) == [mine.pk, backlog[0].pk]


def test_it_shows_stage_progress_position_and_time_left_on_the_dashboard(client, alice, bob):
    _done(bob, backend="faster-whisper", speed=10.0, wall=60)
    Job.objects.create(
        owner=alice, title="Running lecture", status=Job.Status.RUNNING,
        stage=Job.Stage.TRANSCRIBE, progress=42, duration=600, backend="faster-whisper",
        model_name="base",
    )  # fmt: skip
    Job.objects.create(owner=alice, title="Waiting lecture", duration=1200)
    client.force_login(alice)

    page = client.get("/").content.decode()
    assert "Transcribing" in page and "42%" in page
    assert "1st in the queue" in page
    assert re.search(r"about \d+ minutes? left", page)
    assert "about less than" not in page
    # It asks for itself again while a job is active; without JavaScript a link does.
    listing = re.search(r'<div id="job-list"([^>]*)>', page).group(1)
    assert 'hx-trigger="every 3s"' in listing and 'hx-get="/"' in listing
    assert re.search(r"<noscript>.*<a href=\"/\">refresh it</a>.*</noscript>", page, re.S)

    fragment = client.get("/", headers={"HX-Request": "true", "HX-Target": "job-list"})
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div id="job-list"') and "<html" not in body
    assert "Upload and transcribe" not in body


def test_it_stops_refreshing_when_no_job_is_active(client, alice):
    finished_job(alice, "done.mp4", ["Hello."])
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert "hx-trigger" not in re.search(r'<div id="job-list"([^>]*)>', page).group(1)
    assert "refresh it" not in page

    fragment = client.get("/", headers={"HX-Request": "true", "HX-Target": "job-list"})
    assert fragment.status_code == 286  # htmx stops polling
    assert "hx-trigger" not in fragment.content.decode()
    assert "Succeeded" in fragment.content.decode()


def test_it_shows_the_queue_position_and_time_left_on_the_job_page(client, alice, bob):
    _done(alice, backend="faster-whisper", speed=10.0, wall=60)
    Job.objects.create(owner=bob, duration=600)
    mine = Job.objects.create(owner=alice, duration=300)
    client.force_login(alice)
    page = client.get(mine.get_absolute_url()).content.decode()
    assert re.search(r"Position in the queue: <strong>2</strong>", page)
    assert "about 2 minutes left" in page
    assert reverse("jobs:dashboard") in page


def test_it_knows_an_uploads_length_while_it_waits(alice, jfk_wav):
    from tests.factories import job_from_file

    job = job_from_file(alice, jfk_wav)
    assert job.status == Job.Status.QUEUED
    assert job.duration == pytest.approx(11.0, abs=0.1) and not job.has_video
    assert selectors.estimate(job).seconds_left is not None
