"""Requests that exhaust: many files, a large total, many links, deep JSON, a killed upload.

Uploads go over a real socket to a live server, and what reaches the disk is measured while the
request streams (the peak size of the upload temp folder), not inferred from the answer.
"""

from __future__ import annotations

import contextlib
import http.client
import secrets
import socket
import threading
import time
from pathlib import Path

import pytest
from django.urls import reverse

from jobs.api import keys
from jobs.intake.uploads import STALE_AFTER, sweep_stale_temp_files
from jobs.models import Job

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024


class DiskWatch:
    """The largest total size of the files in ``folder`` seen while active (sampled every 2 ms)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + 60
        while not self._stop.is_set() and time.monotonic() < deadline:
            total = 0
            for path in self.folder.glob("*"):
                with contextlib.suppress(OSError):  # deleted between glob and stat
                    total += path.stat().st_size
            self.peak = max(self.peak, total)
            time.sleep(0.002)

    def __enter__(self) -> DiskWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _multipart(fields: dict[str, str], files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for filename, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="media"; '
            f'filename="{filename}"\r\nContent-Type: audio/wav\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _post_upload(live_server, client, alice, files: list[tuple[str, bytes]]) -> tuple[int, str]:
    """POST the upload form over a socket, as a logged-in browser would."""
    client.force_login(alice)
    session = client.cookies["sessionid"].value
    csrf = secrets.token_hex(16)  # a 32-character secret: Django takes it unmasked
    body, content_type = _multipart(
        {"csrfmiddlewaretoken": csrf, "language": "auto", "task": "transcribe"}, files
    )
    host, port = live_server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {
        "Content-Type": content_type,
        "Cookie": f"sessionid={session}; csrftoken={csrf}",
        "Content-Length": str(len(body)),
    }
    try:
        connection.request("POST", reverse("jobs:create"), body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    except (BrokenPipeError, ConnectionResetError):  # cut off while sending: that is the point
        return 0, ""
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        # 25 files of 1 MB, at most 3 at once: refused at the fourth file's first byte.
        ({"MAX_BATCH": 3, "MAX_UPLOAD_MB": 2, "MAX_REQUEST_MB": 100}, "At most 3 files"),
        # Each file under its limit, the request over its total.
        ({"MAX_BATCH": 50, "MAX_UPLOAD_MB": 2, "MAX_REQUEST_MB": 3}, "larger than the 3 MB"),
    ],
)
def test_it_refuses_a_many_file_request_before_it_fills_the_disk(
    live_server, client, alice, settings, tmp_path, limits, message
):
    for name, value in limits.items():
        setattr(settings, name, value)
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    files = [(f"part{i}.wav", bytes([i]) * MB) for i in range(25)]

    with DiskWatch(tmp_path / "uploads") as disk:
        status, page = _post_upload(live_server, client, alice, files)

    assert disk.peak <= 4 * MB  # three files and a chunk, not 25 MB
    assert status in (0, 400, 413)
    if status:
        assert message in page
    assert not Job.objects.filter(owner=alice).exists()
    deadline = time.monotonic() + 5  # the request's files are closed (deleted) as it ends
    while list((tmp_path / "uploads").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list((tmp_path / "uploads").iterdir()) == []


def test_it_counts_links_before_resolving_any(client, alice, settings, monkeypatch):
    from jobs.intake import urlsafety

    settings.MAX_BATCH = 20
    settings.URL_ALLOWLIST = []
    lookups = []
    real = urlsafety._real_getaddrinfo

    def counting(*args, **kwargs):  # a spy: every lookup still happens
        lookups.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(urlsafety, "_real_getaddrinfo", counting)
    client.force_login(alice)
    urls = "\n".join(f"http://localhost/talk-{i}.mp4" for i in range(200))
    response = client.post(
        reverse("jobs:create"),
        {"urls": urls, "language": "auto", "task": "transcribe", "highlights": "no"},
    )
    assert response.status_code == 400
    assert "At most 20 files or links at once" in response.content.decode()
    assert lookups == []


def test_it_answers_deeply_nested_json_with_a_400(client, alice):
    token = keys.api_key_create(user=alice, name="tests").token
    response = client.post(
        "/api/v1/jobs",
        data="[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_it_sweeps_the_temp_file_of_a_web_process_killed_mid_upload(alice, web_process):
    web = web_process()
    token = keys.api_key_create(user=alice, name="tests").token
    uploads = web.data_dir / "uploads"
    boundary = "lectern-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="talk.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(
            (
                "POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {20 * MB}\r\n\r\n"
            ).encode()
            + head
        )
        for _ in range(6):  # 6 MB of a declared 20: the rest never comes
            sock.sendall(b"\0" * MB)
        deadline = time.monotonic() + 20
        while not any(uploads.glob("*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = list(uploads.glob("*"))
        assert left, "the upload never reached the temp folder"
        web.kill()
    assert [path.exists() for path in left] == [True] * len(left)  # a kill -9 cleans nothing

    assert sweep_stale_temp_files(uploads) == 0  # a live upload is never swept
    assert sweep_stale_temp_files(uploads, now=time.time() + STALE_AFTER + 1) == len(left)
    assert list(uploads.iterdir()) == []
