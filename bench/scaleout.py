"""Scale-out on PostgreSQL + Redis + object storage: 1, 2 and 4 worker processes, no shared folder.

Each round starts N ``manage.py qcluster`` processes (one worker each, ``LECTERN_WORKERS=1``), each
with its own scratch folder and no media folder in common, waits until they are ready, then creates
``JOBS`` short jobs the way an upload does (``job_create``: the file goes to the bucket, the id to
Redis) and waits until every one has ended. Transcription is the OpenAI backend against a server on
127.0.0.1 that answers after ``DELAY`` seconds, so that waiting on a remote service, not the two
cores, is the bound, as it is for a site that sends its audio to an API. Every file is distinct
(no cache answers). The bucket is moto's S3 server in the bench process (MinIO's server is not on
PyPI), spoken to over HTTP by boto3 as a real one would be.

Figures: throughput (jobs / (last end - first enqueue)), its ratio per doubling of the workers, p95
of the wait from enqueue to start, and "exactly once": every job succeeded, with one attempt, one
transcript and one request to the transcription server. Then the 4-worker round again with one
worker *host* killed (``kill -9`` of its whole process group) while it runs a job: the sweeper
(run by the bench every second here; the schedule runs it every minute) puts the job back in the
queue and another worker finishes it; nothing may be lost.

Run in a child process (``python -m bench.scaleout``), because the bench process is set up on
SQLite. PostgreSQL and Redis must answer at ``LECTERN_BENCH_POSTGRES`` (server URL, default
postgres://postgres@127.0.0.1:5432) and ``LECTERN_BENCH_REDIS_URL`` (default
redis://127.0.0.1:6379/14); the run makes its own database and queue name and removes them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import wave
from pathlib import Path
from typing import Any
from unittest import mock

from bench import env

COMMAND = ".venv/bin/python -m bench.run --only scaleout"
JOBS = 100
DELAY = 4.0  # seconds the transcription server takes for each request (a remote API)
WORKER_COUNTS = (1, 2, 4)
CLIP_SECONDS = 2.0


def measure(quick: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lectern-scaleout-") as folder:
        out = Path(folder) / "scaleout.json"
        command = [sys.executable, "-m", "bench.scaleout", "--out", str(out)]
        subprocess.run(command + (["--quick"] if quick else []), cwd=env.REPO, check=True)
        return json.loads(out.read_text())


# --- The child process --------------------------------------------------------------------------


def speech_clips(folder: Path, count: int, seconds: float = CLIP_SECONDS) -> list[Path]:
    """``count`` distinct short speech files (no transcript reuse): jfk.wav's first ``seconds``,
    each a few samples longer than the last (the fairness section uses them too)."""
    source = env.REPO.parent / "shared" / "media" / "jfk.wav"
    with wave.open(str(source)) as audio:
        params = audio.getparams()
        frames = audio.readframes(int(audio.getframerate() * seconds))
    width = params.sampwidth * params.nchannels
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"clip-{index:03d}.wav"
        with wave.open(str(path), "wb") as out:
            out.setparams(params)
            out.writeframes(frames + b"\0" * width * (index + 1))
        paths.append(path)
    return paths


def _transcript(received: Any) -> dict[str, Any]:
    words = [
        {"word": word, "start": round(i * 0.3, 2), "end": round(i * 0.3 + 0.25, 2)}
        for i, word in enumerate(["and", "so", "my", "fellow", "americans"])
    ]
    return {
        "task": "transcribe",
        "language": "english",
        "duration": CLIP_SECONDS,
        "text": "And so my fellow Americans.",
        "segments": [
            {"id": 0, "seek": 0, "start": 0.0, "end": 1.5, "text": "And so my fellow Americans.",
             "tokens": [], "temperature": 0.0, "avg_logprob": -0.1, "compression_ratio": 1.0,
             "no_speech_prob": 0.01}
        ],
        "words": words,
    }  # fmt: skip


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


class Round:
    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder / name
        self.folder.mkdir()
        self.clusters: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []
        self.scratch: list[Path] = []

    def start(self, count: int) -> None:
        for index in range(count):
            scratch = self.folder / f"scratch-{index}"
            log = self.folder / f"worker-{index}.log"
            handle = open(log, "ab")  # noqa: SIM115 - the child owns it until it ends
            process = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=env.REPO,
                env={**os.environ, "LECTERN_SCRATCH_DIR": str(scratch)},
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a "host": its whole group can be killed at once
            )
            self.clusters.append(process)
            self.logs.append(log)
            self.scratch.append(scratch)
        ready = env.wait_until(
            lambda: all("ready for work" in log.read_text(errors="replace") for log in self.logs),
            timeout=180,
            every=0.2,
        )
        if not ready:
            raise RuntimeError(f"the workers did not start: see {self.folder}")

    def stop(self) -> None:
        for process in self.clusters:
            env.stop(process)

    def leftovers(self, alive_only: bool) -> int:
        """Files left in the scratch folders (of the clusters still alive, or of all)."""
        count = 0
        for process, scratch in zip(self.clusters, self.scratch, strict=True):
            if alive_only and process.returncode is not None and process.returncode < 0:
                continue
            count += sum(1 for path in scratch.rglob("*") if path.is_file())
        return count


def _run_round(
    folder: Path, name: str, workers: int, clips: list[Path], transcriber: Any, kill: bool
) -> dict[str, Any]:
    from django.utils import timezone
    from django_q.brokers import get_broker

    from jobs import services
    from jobs.models import Job
    from jobs.pipeline import sweeper
    from jobs.storage import objects
    from transcripts.models import Transcript

    Job.objects.all().delete()
    objects.delete_prefix("jobs")
    get_broker().purge_queue()
    # The jobs are made first (files in the bucket, rows queued) and sent to the queue together
    # once the workers are ready: the queue is drained, and making 100 jobs one by one in this
    # process does not bound the rate measured. Each job's wait runs from its own send.
    held: list[Job] = []
    with mock.patch.object(services, "job_enqueue", held.append):
        ids = [env.enqueue(clip) for clip in clips]
    before = len(transcriber.uploads)
    round_ = Round(folder, name)
    round_.start(workers)
    killed_job = None
    sent: dict[str, Any] = {}
    try:
        for job in held:
            sent[str(job.pk)] = timezone.now()
            services.job_enqueue(job)
        deadline = time.monotonic() + 60 + len(clips) * (DELAY + 2) * 2 / workers
        while time.monotonic() < deadline:
            finished = Job.objects.filter(pk__in=ids, status__in=Job.FINISHED).count()
            if finished == len(ids):
                break
            if kill and killed_job is None and finished >= len(ids) // 4:
                running = Job.objects.filter(status=Job.Status.RUNNING).exclude(worker="")
                for job in running:
                    pid = int(job.worker.rsplit(":", 1)[-1])
                    victim = next((p for p in round_.clusters if _in_group(pid, p.pid)), None)
                    if victim is not None:
                        os.killpg(victim.pid, signal.SIGKILL)
                        victim.wait()
                        killed_job = str(job.pk)
                        break
            if kill:
                sweeper.sweep_stale_jobs()  # the every-minute schedule, run more often here
            time.sleep(1.0 if kill else 0.2)
        else:
            raise RuntimeError(f"round {name}: not every job ended in time")
    finally:
        round_.stop()
    rows = list(
        Job.objects.filter(pk__in=ids).values_list(
            "pk", "status", "attempts", "started_at", "finished_at"
        )
    )
    succeeded = sum(1 for row in rows if row[1] == Job.Status.SUCCEEDED)
    waits = [(row[3] - sent[str(row[0])]).total_seconds() for row in rows if row[2] == 1]
    first, last = min(sent.values()), max(row[4] for row in rows)
    span = (last - first).total_seconds()
    listed = objects.client().list_objects_v2(Bucket=objects.bucket().bucket_name)
    return {
        "workers": workers,
        "jobs": len(ids),
        "succeeded": succeeded,
        "one_attempt": sum(1 for row in rows if row[2] == 1),
        "transcripts": Transcript.objects.filter(job_id__in=ids).count(),
        "transcription_requests": len(transcriber.uploads) - before,
        "seconds": span,
        "jobs_per_second": len(ids) / span,
        "wait_p95_seconds": _percentile(waits, 0.95),
        "wait_median_seconds": _percentile(waits, 0.5),
        "objects_in_bucket": listed.get("KeyCount", 0),
        "scratch_files_left_by_live_workers": round_.leftovers(alive_only=True),
        "killed_job": killed_job,
    }


def _in_group(pid: int, pgid: int) -> bool:
    try:
        return os.getpgid(pid) == pgid
    except ProcessLookupError:
        return False


def child(out: Path, quick: bool) -> None:
    import boto3
    import psycopg
    from moto.server import ThreadedMotoServer

    from tests.servers import OpenAIServer

    class SlowOpenAI(OpenAIServer):
        def respond(self, received: Any) -> tuple[int, Any, dict[str, str], float]:
            status, body, headers, _ = super().respond(received)
            return status, body, headers, DELAY

    jobs = 20 if quick else JOBS
    pg = os.environ.get("LECTERN_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    redis_url = os.environ.get("LECTERN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    run_id = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    database = f"lectern_bench_scaleout_{run_id}"
    folder = Path(tempfile.mkdtemp(prefix="lectern-scaleout-"))
    s3_port = env.free_port()
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    s3.start()
    keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench-secret"}
    boto3.client(
        "s3", endpoint_url=f"http://127.0.0.1:{s3_port}", region_name="us-east-1", **keys
    ).create_bucket(Bucket="lectern-bench")
    transcriber = SlowOpenAI(transcriber=_transcript).start()
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": uuid.uuid4().hex * 2,
            "DATABASE_URL": f"{pg}/{database}",
            "REDIS_URL": redis_url,
            "LECTERN_QUEUE_NAME": f"bench-scaleout-{run_id}",
            "LECTERN_DATA_DIR": str(folder),
            "LECTERN_MEDIA_ROOT": str(folder / "media-never-used"),
            "AWS_STORAGE_BUCKET_NAME": "lectern-bench",
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": keys["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": keys["aws_secret_access_key"],
            "AWS_S3_ADDRESSING_STYLE": "path",
            "LECTERN_BACKEND": "openai",
            "OPENAI_API_KEY": transcriber.api_key,
            "OPENAI_BASE_URL": transcriber.base_url,
            "OPENAI_TIMEOUT": "60",
            "LECTERN_METERED_MINUTES_QUOTA": "10000000",
            # One bench user queues every job at once: the per-person cap must let them in.
            "LECTERN_MAX_ACTIVE_JOBS_PER_USER": str(JOBS + 1),
            "LECTERN_WORKERS": "1",
            "LECTERN_HEARTBEAT_SECONDS": "0.5",
            "LECTERN_STALE_AFTER_SECONDS": "5",
            "LECTERN_SLIDE_PROMPT": "0",
            "LECTERN_LOG_LEVEL": "INFO",
            "EMAIL_URL": "locmem://",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    results: dict[str, Any] = {
        "command": COMMAND,
        "jobs": jobs,
        "delay_seconds": DELAY,
        "clip_seconds": CLIP_SECONDS,
    }
    try:
        call_command("migrate", verbosity=0, interactive=False)
        clips = speech_clips(folder, jobs)
        rounds = {}
        for workers in WORKER_COUNTS:
            print(f"bench: scaleout, {workers} worker(s) …", flush=True)
            rounds[str(workers)] = _run_round(
                folder, f"w{workers}", workers, clips, transcriber, kill=False
            )
        print("bench: scaleout, 4 workers, one killed …", flush=True)
        results["killed"] = _run_round(folder, "kill", 4, clips, transcriber, kill=True)
        results["rounds"] = rounds
        rate = {int(k): v["jobs_per_second"] for k, v in rounds.items()}
        results["doubling"] = {
            f"{a}->{b}": rate[b] / rate[a] for a, b in itertools.pairwise(WORKER_COUNTS)
        }
    finally:
        from django.db import connections

        connections.close_all()
        transcriber.stop()
        s3.stop()
        with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        import redis

        client = redis.from_url(redis_url)
        for key in client.scan_iter(f"*bench-scaleout-{run_id}*"):
            client.delete(key)
        shutil.rmtree(folder, ignore_errors=True)
    out.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    arguments = parser.parse_args()
    child(arguments.out, arguments.quick)
