"""Clients of the OpenAI-compatible API: the README's own examples (curl and the Python SDK) run as
written, and Lectern's OpenAI backend transcribing through a second Lectern on 127.0.0.1."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django.live_server_helper import LiveServer

from jobs import services
from jobs.models import Job
from tests.conftest import JFK_TEXT
from tests.wer import normalise
from tests.workers import JobThreads
from transcripts.media import ffmpeg_exe

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Use Lectern from any OpenAI client"


@pytest.fixture(autouse=True)
def tiny_model(settings) -> None:
    settings.LECTERN_MODEL = "tiny.en"
    settings.LECTERN_BACKEND = ""
    settings.OPENAI_API_KEY = ""


@pytest.fixture
def workers(live_server) -> Iterator[JobThreads]:
    threads = JobThreads(count=2)
    yield threads
    threads.stop()


def _section() -> str:
    text = README.read_text()
    start = text.index(SECTION)
    following = text.find("\n## ", start + len(SECTION))
    return text[start : following if following != -1 else None]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(), flags=re.DOTALL)


@pytest.fixture
def lecture(tmp_path: Path, jfk_wav: Path) -> Path:
    """The README's lecture.mp3: jfk.wav encoded as MP3, in a folder of its own."""
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(jfk_wav), "-b:a", "64k",
         str(tmp_path / "lecture.mp3")],
        check=True,
    )  # fmt: skip
    return tmp_path / "lecture.mp3"


def test_the_readme_curl_examples_work_as_written(live_server, workers, alice_key, lecture):
    (block,) = _blocks("sh")
    commands = [" ".join(c.split()) for c in block.replace("\\\n", " ").splitlines() if c.strip()]
    env = {"LECTERN_URL": live_server.url, "LECTERN_KEY": alice_key, "PATH": "/usr/bin:/bin"}

    outputs = []
    for command in commands:
        assert shlex.split(command)[0] == "curl"
        done = subprocess.run(
            ["bash", "-c", command], cwd=lecture.parent, env=env, capture_output=True,
            text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, (command, done.stderr)
        assert '"error"' not in done.stdout, (command, done.stdout)
        outputs.append(done.stdout)

    models, plain, srt, verbose, stream, translation = outputs
    assert [m["id"] for m in json.loads(models)["data"]] == ["whisper-1", "base", "tiny.en"]
    assert normalise(json.loads(plain)["text"]).split()[:4] == ["and", "so", "my", "fellow"]
    assert srt.startswith("1\n00:00:00,") and " --> " in srt
    assert json.loads(verbose)["words"] and json.loads(verbose)["segments"]
    events = [json.loads(line[6:]) for line in stream.splitlines() if line.startswith("data: ")]
    assert events[0]["type"] == "transcript.text.delta"
    assert events[-1] == {
        "type": "transcript.text.done", "text": json.loads(plain)["text"], "logprobs": None,
    }  # fmt: skip
    assert translation.strip()


def test_the_readme_python_examples_work_as_written(
    live_server, workers, alice_key, lecture, monkeypatch
):
    monkeypatch.chdir(lecture.parent)
    printed = io.StringIO()

    for block in _blocks("python"):
        code = block.replace("http://127.0.0.1:8000", live_server.url).replace("lec_...", alice_key)
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "README.md", "exec"), {})

    lines = printed.getvalue().splitlines()
    assert normalise(lines[0]).split()[:4] == ["and", "so", "my", "fellow"]
    assert lines[1].startswith("english 11.0")
    assert normalise(lines[2]).split()[:4] == ["and", "so", "my", "fellow"]


@pytest.fixture
def second_lectern(live_server, settings) -> Iterator[LiveServer]:
    """Another Lectern server on 127.0.0.1 (the same code and database, its own port)."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    server = LiveServer("127.0.0.1:0")
    yield server
    server.stop()


def test_lectern_transcribes_through_another_lectern_with_its_openai_backend(
    live_server, second_lectern, workers, settings, alice, alice_key, bob, bob_key, jfk_wav
):
    # This Lectern's OpenAI backend points at the second one, with a key of the second's user.
    settings.OPENAI_API_KEY = bob_key
    settings.OPENAI_BASE_URL = f"{second_lectern.url}/v1"
    settings.OPENAI_TIMEOUT = 60
    # Jobs that name no backend (those the second server makes) run locally, not back to it.
    settings.LECTERN_BACKEND = "faster-whisper"
    upload = SimpleUploadedFile("jfk.wav", jfk_wav.read_bytes())

    job = services.job_create(owner=alice, upload=upload, backend="openai", highlights=False)
    deadline = time.monotonic() + 90
    while not job.is_finished and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()

    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.backend == "openai" and job.model_name == "whisper-1" and not job.fallbacks
    relayed = Job.objects.get(owner=bob)  # the second server's job, on bob's dashboard
    assert relayed.status == Job.Status.SUCCEEDED and relayed.backend == "faster-whisper"
    assert relayed.model_name == "tiny.en" and relayed.original_name == "chunk-000.mp3"
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/jobs/{job.pk}/transcript/json",
        headers={"Authorization": f"Bearer {alice_key}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        exported = json.load(response)
    text = " ".join(segment["text"] for segment in exported["segments"])
    assert normalise(text).split()[:4] == normalise(JFK_TEXT).split()[:4]
    assert normalise(text) == normalise(relayed.transcript.text)
    # Word timings made the round trip: the first Lectern's captions can be cut by word.
    words = [word for segment in exported["segments"] for word in segment["words"]]
    assert len(words) >= 15 and words[0]["start"] < 1.0 and words[-1]["end"] <= 11.1
