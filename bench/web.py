"""Web: the progress fragment's latency under 50 pollers while a job runs, and cold start.

gunicorn is started the way ``manage.py serve`` starts it (2 workers x 4 threads) on a free port,
on the bench's throwaway SQLite database, while a ``manage.py qcluster`` worker transcribes the
long file. 50 pollers, threads spread over ``PROCESSES`` forked client processes (so that one
client GIL does not add its own delays), each send ``N`` requests (a new connection each, as a
browser's polling would after keep-alive ends), pausing ``PAUSE`` seconds between them: first the
progress fragment (``HX-Request: true``, ``HX-Target: job-progress``), then, with the same load,
``/healthz`` (the smallest Django view, the reference), then the fragment again with all 50
pollers in one process, as the first version of this bench measured it. Cold start is process
start to the first 200 on ``/accounts/login/``, against gunicorn serving a bare WSGI app
(bench.hello_wsgi).
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench import env
from bench.corpus import Corpus
from bench.stats import Series, percentile, ratio

COMMAND = ".venv/bin/python -m bench.run --only web"
POLLERS = 50
PAUSE = 0.25
PROCESSES = 10  # client processes the pollers are spread over


def gunicorn(app: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    handle = open(log, "ab")  # noqa: SIM115 - the child owns it until it ends
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "4", "--graceful-timeout", "5"],
        cwd=env.REPO, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def get(port: int, path: str, headers: dict[str, str] | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def cold_start(app: str, path: str, log: Path) -> float:
    port = env.free_port()
    started = time.perf_counter()
    process = gunicorn(app, port, log)
    try:
        while True:
            try:
                if get(port, path) == 200:
                    return time.perf_counter() - started
            except OSError:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited; see {log}")
            if time.perf_counter() - started > 60:
                raise RuntimeError(f"gunicorn {app} did not answer in 60 s")
            time.sleep(0.005)
    finally:
        env.stop(process)


def _poll(port: int, path: str, headers: dict[str, str], requests: int, threads: int) -> list:
    """``threads`` pollers in this process; [(seconds, status), ...] for every request."""
    results: list[tuple[float, int]] = []
    lock = threading.Lock()

    def poller() -> None:
        for _ in range(requests):
            started = time.perf_counter()
            try:
                status = get(port, path, headers)
            except OSError:
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                results.append((elapsed, status))
            time.sleep(PAUSE)

    workers = [threading.Thread(target=poller) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return results


def _poll_in_child(connection: Any, *args: Any) -> None:
    connection.send(_poll(*args))
    connection.close()


def load(
    port: int, path: str, headers: dict[str, str], requests: int, processes: int = PROCESSES
) -> dict[str, Any]:
    """POLLERS pollers spread over ``processes`` client processes (forked), so that the clients'
    own GIL does not add its switching delays to the latencies they measure."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    per_process = [POLLERS // processes + (i < POLLERS % processes) for i in range(processes)]
    began = time.perf_counter()
    children = []
    for threads in per_process:
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(
            target=_poll_in_child, args=(sender, port, path, headers, requests, threads)
        )
        child.start()
        sender.close()
        children.append((child, receiver))
    results: list[tuple[float, int]] = []
    for child, receiver in children:
        results += receiver.recv()
        child.join()
    wall = time.perf_counter() - began
    latencies = [seconds for seconds, _ in results]
    statuses: dict[int, int] = {}
    for _, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "requests": len(latencies),
        "client_processes": processes,
        "statuses": {str(k): v for k, v in statuses.items()},
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "max_ms": max(latencies) * 1000,
        "requests_per_second": len(latencies) / wall,
        "latencies": latencies,
    }


def measure(long: Corpus, data_dir: Path, repeats: int, requests: int) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    cold = [cold_start("config.wsgi:application", "/accounts/login/", data_dir / "web.log")
            for _ in range(repeats)]  # fmt: skip
    hello = [cold_start("bench.hello_wsgi:application", "/", data_dir / "hello.log")
             for _ in range(repeats)]  # fmt: skip
    client = Client()
    client.force_login(env.bench_user())  # type: ignore[arg-type]
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    worker = env.manage("qcluster", log=data_dir / "worker.log")
    port = env.free_port()
    web = gunicorn("config.wsgi:application", port, data_dir / "web.log")
    try:
        from jobs.models import Job

        Job.objects.all().delete()
        job_id = env.enqueue(long.path)
        env.wait_until(lambda: env.job_status(job_id) == "running", 60)
        env.wait_until(lambda: _up(port), 60)
        fragment_headers = {"Cookie": cookie, "HX-Request": "true", "HX-Target": "job-progress"}
        # Warm every gunicorn thread first: the first request a process serves pays for lazy
        # imports and template loading, which the cold-start figure below already counts.
        for _ in range(4):
            load_once = [get(port, f"/jobs/{job_id}/", fragment_headers) for _ in range(8)]
            load_once += [get(port, "/healthz") for _ in range(8)]
        status_before = env.job_status(job_id)
        fragment = load(port, f"/jobs/{job_id}/", fragment_headers, requests)
        health = load(port, "/healthz", {}, requests)
        # The earlier client, all pollers in one process, on the same server and job: how much
        # of the latency is the client's own GIL.
        fragment_one = load(port, f"/jobs/{job_id}/", fragment_headers, requests, processes=1)
        status_after = env.job_status(job_id)
    finally:
        env.stop(web)
        env.stop(worker)
    lat_f, lat_h = Series(fragment.pop("latencies")), Series(health.pop("latencies"))
    fragment_one.pop("latencies")
    cold_s, hello_s = Series(cold), Series(hello)
    return {
        "command": COMMAND,
        "pollers": POLLERS,
        "requests_per_poller": requests,
        "pause_seconds": PAUSE,
        "job_status_during": [status_before, status_after],
        "fragment": fragment,
        "healthz": health,
        "fragment_one_client_process": fragment_one,
        "fragment_p95_vs_healthz_p95": fragment["p95_ms"] / health["p95_ms"],
        "fragment_p50_vs_healthz_p50": lat_f.median / lat_h.median,
        "goal": "fragment p95 < 25 ms",
        "cold_start_seconds": cold_s.to_dict(),
        "hello_cold_start_seconds": hello_s.to_dict(),
        "cold_vs_hello": ratio(cold_s, hello_s),
    }


def _up(port: int) -> bool:
    try:
        return get(port, "/healthz") in (200, 503)
    except OSError:
        return False
