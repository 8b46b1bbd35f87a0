"""Requests that wait for their job on /v1/audio/transcriptions cannot take the site down.

The web server is started as the product runs it (``manage.py serve``: gunicorn, 2 processes of 4
threads) on the test database, with no worker, so every job stays queued and every request that
gets a slot waits. Eight clients at once used to hold all eight threads: ``/healthz`` and the login
page went unanswered until the waits ended, also after the clients had hung up.
"""

from __future__ import annotations

import select
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from jobs.api import keys, waits
from jobs.models import Job
from transcripts.media import ffmpeg_exe

pytestmark = pytest.mark.django_db(transaction=True)

# Long enough that no wait ends by itself during a test.
WAITING = {"LECTERN_OPENAI_WAIT_SECONDS": "300"}


@pytest.fixture(scope="module")
def second_of_speech(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """One second of jfk.wav (16 kHz mono, 32 kB): a request's body fits the socket buffers."""
    from tests.conftest import shared_media

    out = tmp_path_factory.mktemp("speech") / "one-second.wav"
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(shared_media("jfk.wav")),
         "-t", "1", "-ac", "1", "-ar", "16000", str(out)],
        check=True,
    )  # fmt: skip
    return Path(out).read_bytes()


def _send(port: int, token: str, audio: bytes) -> socket.socket:
    """A transcription request, sent whole; the answer is read later (or never)."""
    boundary = "lectern-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + audio
        + f"\r\n--{boundary}--\r\n".encode()
    )
    head = (
        "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.sendall(head + body)
    return client


def _answered(clients: list[socket.socket]) -> dict[socket.socket, bytes]:
    """The clients the server has answered so far, with the start of their answer."""
    readable, _, _ = select.select(clients, [], [], 0)
    return {client: client.recv(65536) for client in readable}


def _settle(clients: list[socket.socket], timeout: float = 30) -> dict:
    """Wait until every request was either answered or became a (waiting) job, or ``timeout``
    passed (requests a starved server has not even started on are neither)."""
    answers: dict[socket.socket, bytes] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answers |= _answered([c for c in clients if c not in answers])
        if len(answers) + Job.objects.count() >= len(clients):
            break
        time.sleep(0.1)
    return answers


def _wait_in_a_slot(port: int, token: str, audio: bytes, jobs: int) -> socket.socket:
    """Send until the request is let in to wait (its job is made), as a client retrying a 429."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        client = _send(port, token, audio)
        while time.monotonic() < deadline:
            if Job.objects.count() >= jobs:
                return client
            if _answered([client]):  # refused: the slot is not free yet
                client.close()
                time.sleep(0.3)
                break
            time.sleep(0.05)
    pytest.fail("no slot came free after the waiting clients hung up")


def _prompt(url: str, limit: float = 5.0) -> float:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=limit) as response:
            assert response.status == 200
    except TimeoutError:
        pytest.fail(f"{url} did not answer within {limit} s while requests waited")
    return time.monotonic() - started


def _site_answers(base_url: str) -> None:
    # Several times each: the two processes take connections in turn, so both are asked.
    for _ in range(4):
        _prompt(f"{base_url}/healthz")
        _prompt(f"{base_url}/accounts/login/")


def test_it_answers_healthz_and_pages_while_eight_clients_of_many_keys_wait(
    alice, bob, web_process, second_of_speech
):
    # Per-user caps wide open: only the per-process cap stands between them and every thread.
    web = web_process(serve=True, LECTERN_OPENAI_WAITS_PER_USER="8", **WAITING)
    tokens = [keys.api_key_create(user=owner, name=f"k{i}").token for i in range(4)
              for owner in (alice, bob)]  # fmt: skip
    clients = [_send(web.port, token, second_of_speech) for token in tokens]
    try:
        answers = _settle(clients)
        _site_answers(web.base_url)
        waiting = len(clients) - len(answers)
        assert 1 <= waiting <= 4  # at most 2 in each of the 2 processes
        for answer in answers.values():
            assert answer.startswith(b"HTTP/1.1 429") and b"\r\nRetry-After: 10\r\n" in answer
            assert b"too_many_waiting_requests" in answer
        assert Job.objects.count() == waiting  # a refused request left no job behind
    finally:
        for client in clients:
            client.close()


def test_it_caps_one_keys_waits_and_frees_a_slot_when_its_client_hangs_up(
    alice, web_process, second_of_speech
):
    web = web_process(serve=True, **WAITING)
    token = keys.api_key_create(user=alice, name="script").token
    clients = [_send(web.port, token, second_of_speech) for _ in range(8)]
    try:
        answers = _settle(clients)
        _site_answers(web.base_url)
        assert len(answers) == 6 and Job.objects.count() == 2  # the key's two slots
        assert all(answer.startswith(b"HTTP/1.1 429") for answer in answers.values())

        # The two waiting clients hang up; their slots come back at once, not after the wait.
        for client in clients:
            if client not in answers:
                client.close()
        started = time.monotonic()
        for jobs in (3, 4):
            clients.append(_wait_in_a_slot(web.port, token, second_of_speech, jobs))
        assert time.monotonic() - started < 15  # not the 300 s the old waits had left
        assert all(job.status == Job.Status.QUEUED for job in Job.objects.all())
    finally:
        for client in clients:
            client.close()


def test_it_counts_waits_per_key_and_per_user_and_gives_them_back(settings):
    settings.LECTERN_OPENAI_WAITS_PER_PROCESS = 10
    first_key = [waits.acquire(key_id=1, user_id=1) for _ in range(2)]
    with pytest.raises(waits.TooManyWaits) as refused:
        waits.acquire(key_id=1, user_id=1)
    assert refused.value.scope == "key"
    second_key = [waits.acquire(key_id=2, user_id=1) for _ in range(2)]
    with pytest.raises(waits.TooManyWaits) as refused:
        waits.acquire(key_id=3, user_id=1)
    assert refused.value.scope == "user"  # four in all for the user, over any keys
    other_user = waits.acquire(key_id=4, user_id=2)  # another user is not held back

    first_key[0].release()
    first_key[0].release()  # twice is harmless: it frees one slot, not two
    again = waits.acquire(key_id=1, user_id=1)
    with pytest.raises(waits.TooManyWaits):
        waits.acquire(key_id=1, user_id=1)
    assert waits.waiting_in_process() == 5
    for slot in [*first_key, *second_key, again, other_user]:
        slot.release()
    assert waits.waiting_in_process() == 0
