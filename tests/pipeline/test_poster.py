"""A video job's poster frame: made with MoviePy after extraction, shown to its owner only."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image

from jobs.models import Job
from jobs.pipeline.stages.poster import WIDTH, make_poster, poster_time
from jobs.tasks import run_job
from tests.factories import job_from_file
from transcripts.media import ffmpeg_exe


def red_then_blue(path: Path, audio: Path, *, red: float = 0.5, seconds: float = 11.0) -> Path:
    """A 320x240 video, red for ``red`` seconds and blue after, with ``audio`` as its sound."""
    graph = (
        f"color=c=red:s=320x240:r=10:d={red}[a];color=c=blue:s=320x240:r=10:d={seconds - red}[b];"
        "[a][b]concat=n=2:v=1:a=0[v]"
    )
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-filter_complex", graph,
         "-i", str(audio), "-map", "[v]", "-map", "0:a", "-c:v", "libx264",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


def test_it_takes_the_frame_a_tenth_in_capped_at_thirty_seconds() -> None:
    assert poster_time(11.0) == pytest.approx(1.1)
    assert poster_time(3600.0) == 30.0
    assert poster_time(0.0) == 0.0


def test_it_writes_a_scaled_jpeg_of_that_frame(jfk_wav: Path, tmp_path: Path) -> None:
    video = red_then_blue(tmp_path / "talk.mp4", jfk_wav)
    poster = make_poster(video, tmp_path / "out" / "poster.jpg", duration=11.0)
    assert poster == tmp_path / "out" / "poster.jpg"
    with Image.open(poster) as image:
        assert image.format == "JPEG" and image.size == (WIDTH, 480)
        red, _green, blue = np.asarray(image.convert("RGB"), dtype=float).mean(axis=(0, 1))
    assert blue > 150 and red < 60  # the frame at 1.1 s, not the red opening


def test_it_gives_up_quietly_on_what_it_cannot_read(tmp_path: Path) -> None:
    folder = tmp_path / "job"
    folder.mkdir()
    fake = folder / "notes.mp4"
    fake.write_text("not a video")
    assert make_poster(fake, folder / "poster.jpg", duration=10.0) is None
    assert list(folder.iterdir()) == [fake]  # no poster, no partial file


@pytest.mark.django_db(transaction=True)
def test_a_video_job_shows_its_poster_to_its_owner_only(
    client, alice, bob, jfk_wav: Path, tmp_path: Path, settings, media_root: Path
) -> None:
    settings.LECTERN_MODEL = "tiny.en"
    settings.LECTERN_SLIDE_PROMPT = False
    video = red_then_blue(tmp_path / "talk.mp4", jfk_wav)
    job = job_from_file(alice, video, highlights=False)
    audio_only = job_from_file(alice, jfk_wav)
    for each in (job, audio_only):
        assert run_job(str(each.pk)) == Job.Status.SUCCEEDED, Job.objects.get(pk=each.pk).error
    job.refresh_from_db()
    audio_only.refresh_from_db()
    assert job.poster.name == f"{job.media_dir()}/poster.jpg"
    assert (media_root / job.poster.name).is_file()
    assert not audio_only.poster

    url = reverse("jobs:poster", args=[job.pk])
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert f'poster="{url}"' in client.get(job.get_absolute_url()).content.decode()
    dashboard = client.get(reverse("jobs:dashboard")).content.decode()
    assert f'src="{url}"' in dashboard and dashboard.count('class="poster"') == 1
    assert client.get(reverse("jobs:poster", args=[audio_only.pk])).status_code == 404

    client.force_login(bob)
    assert client.get(url).status_code == 404
