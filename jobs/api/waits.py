"""Who may wait for a job on the OpenAI-compatible endpoint, and whether its client is still there.

A request to ``/v1/audio/transcriptions`` holds a web thread while its job is queued and running
(gunicorn's threaded workers, WSGI: a thread per request in progress). Unbounded, eight such
requests take every thread of ``manage.py serve`` (2 processes of 4 threads) and nothing else is
answered, ``/healthz`` included. So a request waits only in a free slot:

- per web process, at most ``LECTERN_OPENAI_WAITS_PER_PROCESS`` (kept below the process's threads,
  so that the others answer pages and probes);
- per API key ``LECTERN_OPENAI_WAITS_PER_KEY`` and per user ``LECTERN_OPENAI_WAITS_PER_USER``,
  counted in the shared cache, so that they hold across every web process.

Past a cap the request is answered 429 with ``Retry-After`` before its upload becomes a job (the
openai SDK retries that by itself). The shared slots are cache entries made with ``add`` (atomic in
Redis and in the database cache) that expire a little after the longest wait, so a process killed
mid-wait gives its slots back by itself.

A waiter also stops when its client hangs up (``client_gone``): gunicorn hands the connection's
socket to the application, and a socket whose peer closed reads as end-of-file.
"""

from __future__ import annotations

import secrets
import select
import socket
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

# What a refused request is told to wait before trying again: a waiting slot frees when a job
# finishes, which is rarely sooner than this.
RETRY_AFTER_SECONDS = 10

_process_lock = threading.Lock()
_process_waits = 0


class TooManyWaits(Exception):
    """No slot is free; ``scope`` says which cap refused (process, key or user)."""

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope
        self.retry_after = RETRY_AFTER_SECONDS


@dataclass
class Slot:
    """A granted wait; ``release`` gives it back (more than once is harmless)."""

    shared: list[str] = field(default_factory=list)  # the cache keys this wait holds
    in_process: bool = False
    released: bool = False

    def release(self) -> None:
        global _process_waits
        if self.released:
            return
        self.released = True
        for key in self.shared:
            cache.delete(key)
        if self.in_process:
            with _process_lock:
                _process_waits -= 1


def _take_shared(prefix: str, cap: int, token: str) -> str | None:
    """The first free one of ``cap`` numbered slots under ``prefix``, taken; None when all are."""
    # Longer than any wait (the wait, then the answer), so a live wait never loses its slot.
    timeout = int(settings.LECTERN_OPENAI_WAIT_SECONDS) + 120
    for number in range(cap):
        key = f"openai-wait:{prefix}:{number}"
        if cache.add(key, token, timeout=timeout):
            return key
    return None


def acquire(*, key_id: int, user_id: int) -> Slot:
    """A slot to wait in for this key and user, or ``TooManyWaits``."""
    global _process_waits
    slot = Slot()
    with _process_lock:
        if _process_waits >= settings.LECTERN_OPENAI_WAITS_PER_PROCESS:
            raise TooManyWaits("process")
        _process_waits += 1
        slot.in_process = True
    token = secrets.token_hex(8)
    try:
        for prefix, cap, scope in (
            (f"key:{key_id}", settings.LECTERN_OPENAI_WAITS_PER_KEY, "key"),
            (f"user:{user_id}", settings.LECTERN_OPENAI_WAITS_PER_USER, "user"),
        ):
            taken = _take_shared(prefix, cap, token)
            if taken is None:
                raise TooManyWaits(scope)
            slot.shared.append(taken)
    except BaseException:
        slot.release()
        raise
    return slot


def waiting_in_process() -> int:
    """How many requests of this process hold a slot now (for tests and metrics)."""
    return _process_waits


def client_gone(request: HttpRequest) -> bool:
    """True when the client of ``request`` has closed its connection.

    Under gunicorn the connection's socket is in ``gunicorn.socket``; after the request was read, a
    closed peer makes it readable with nothing to read (end-of-file), and a reset raises. Data
    waiting there (a pipelined request) means the client is still there. Peeking leaves it for
    the server. Other servers (Django's runserver) give no socket: the client is taken to be there.
    """
    sock = request.META.get("gunicorn.socket")
    if not isinstance(sock, socket.socket):
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False  # nothing to read: still connected
        return sock.recv(1, socket.MSG_PEEK | getattr(socket, "MSG_DONTWAIT", 0)) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except (OSError, ValueError):
        return True  # reset, or closed under us
