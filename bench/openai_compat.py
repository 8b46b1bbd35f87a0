"""The OpenAI-compatible endpoint against Lectern's own API, for the same 60 s file and worker.

gunicorn serves the app (2 workers x 4 threads, as ``manage.py serve`` does) on the bench's
throwaway database, and one ``manage.py qcluster`` worker runs the jobs (warmed with jfk.wav, so
the model is loaded on both sides). Own API: ``POST /api/v1/jobs`` with the file, then
``GET /api/v1/jobs/<id>`` every 50 ms until it has succeeded, then the transcript as text. The
compatible endpoint: the official ``openai`` SDK's ``audio.transcriptions.create`` (the request
waits for its job on the server). The clock runs from the request to the text in hand; every job
is deleted before each run, so that the content cache never answers. Streaming: the SDK with
``stream=True``, time from the request to the first ``transcript.text.delta`` and to the end.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench import env
from bench.corpus import Corpus
from bench.stats import Series, ratio, timed
from transcripts.media import ffmpeg_exe

COMMAND = ".venv/bin/python -m bench.run --only openai"
SECONDS = 60
POLL = 0.05  # the own-API client's polling interval


def gunicorn(port: int, log: Path) -> subprocess.Popen[bytes]:
    handle = open(log, "ab")  # noqa: SIM115 - the child owns it until it ends
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "4", "--timeout", "600", "--graceful-timeout", "5"],
        cwd=env.REPO, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def minute_of(corpus: Corpus, folder: Path) -> Path:
    """The first ``SECONDS`` of the speech file."""
    target = folder / "minute.wav"
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(corpus.path),
         "-t", str(SECONDS), "-c", "copy", str(target)],
        check=True,
    )  # fmt: skip
    return target


def _request(
    port: int, method: str, path: str, key: str, body: bytes = b"", content_type: str = ""
) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Authorization": f"Bearer {key}"}
    if content_type:
        headers["Content-Type"] = content_type
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return data
    finally:
        connection.close()


def _multipart(path: Path, fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: audio/wav\r\n\r\n".encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def own_api(port: int, key: str, path: Path) -> str:
    body, content_type = _multipart(path, {"highlights": "no"})
    job = json.loads(_request(port, "POST", "/api/v1/jobs", key, body, content_type))
    while True:
        status = json.loads(_request(port, "GET", f"/api/v1/jobs/{job['id']}", key))["status"]
        if status == "succeeded":
            return _request(port, "GET", f"/api/v1/jobs/{job['id']}/transcript/txt", key).decode()
        if status in ("failed", "cancelled"):
            raise RuntimeError(f"own-API job ended {status}")
        time.sleep(POLL)


def _fresh() -> None:
    from jobs.models import Job

    Job.objects.all().delete()  # the content cache must not answer


def measure(corpus: Corpus, data_dir: Path, repeats: int) -> dict[str, Any]:
    import openai

    from jobs.api import keys

    # Both clients poll or wait far more often than a person would: no rate limit in the way.
    os.environ["LECTERN_API_RATE_PER_MINUTE"] = "1000000"
    os.environ["LECTERN_API_USER_RATE_PER_MINUTE"] = "1000000"
    audio = minute_of(corpus, data_dir)
    key = keys.api_key_create(user=env.bench_user(), name="bench").token
    port = env.free_port()
    server = gunicorn(port, data_dir / "gunicorn.log")
    worker = env.manage("qcluster", log=data_dir / "worker.log")
    client = openai.OpenAI(
        api_key=key, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0, timeout=600
    )

    def compatible() -> str:
        with open(audio, "rb") as handle:
            return client.audio.transcriptions.create(model="whisper-1", file=handle).text

    def streamed() -> tuple[float, float]:
        started = time.perf_counter()
        first = None
        with open(audio, "rb") as handle:
            for event in client.audio.transcriptions.create(
                model="whisper-1", file=handle, stream=True
            ):
                if first is None and event.type == "transcript.text.delta":
                    first = time.perf_counter() - started
        return first if first is not None else float("nan"), time.perf_counter() - started

    try:
        env.wait_until(lambda: _up(port), timeout=60)
        warm = env.REPO.parent / "shared" / "media" / "jfk.wav"
        own_api(port, key, warm)  # loads the model in the worker
        own: list[float] = []
        compat: list[float] = []
        first_event: list[float] = []
        stream_total: list[float] = []
        for index in range(repeats):
            # Alternate the order, so a burst of load from the shared machine hits both sides.
            for side in ("own", "compat") if index % 2 == 0 else ("compat", "own"):
                _fresh()
                if side == "own":
                    own.append(timed(lambda: own_api(port, key, audio))[0])
                else:
                    compat.append(timed(compatible)[0])
            _fresh()
            first, total = streamed()
            first_event.append(first)
            stream_total.append(total)
    finally:
        client.close()
        env.stop(worker)
        env.stop(server)
    own_s, compat_s = Series(own), Series(compat)
    first_s, total_s = Series(first_event), Series(stream_total)
    return {
        "command": COMMAND,
        "model": env.MODEL,
        "audio_seconds": SECONDS,
        "own_api_seconds": own_s.to_dict(),
        "compatible_seconds": compat_s.to_dict(),
        "compatible_over_own": ratio(compat_s, own_s),
        "stream_first_event_seconds": first_s.to_dict(),
        "stream_total_seconds": total_s.to_dict(),
        "first_event_over_total": ratio(first_s, total_s),
    }


def _up(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
