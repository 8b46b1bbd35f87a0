"""Real servers on 127.0.0.0/8 that stand in for the external services Lectern talks to.

Each HTTP one runs the standard library's ``ThreadingHTTPServer`` on a free port in a background
thread, so the code under test uses its real client library over real sockets. Behaviour is
scripted per request (rate limits, server errors, slow answers), and every request is recorded for
assertions. Every loopback server of the test suite lives here:

- ``LoopbackServer``: scripted JSON replies; ``OpenAIServer`` (audio transcriptions and chat
  completions), ``GeminiServer`` (generateContent) and ``WebhookReceiver`` build on it;
- ``FileServer``: the files of a folder, as a web site serves them, plus redirects and a slow mode;
- ``SMTPInbox``: an SMTP server (aiosmtpd) that keeps the messages it receives.

    with OpenAIServer() as server:
        server.script(rate_limited(retry_after=0.2), ok())
        backend = OpenAIBackend(api_key=server.api_key, base_url=server.base_url)
        ...
        assert len(server.requests) == 2
"""

from __future__ import annotations

import asyncio
import email.message
import email.parser
import email.policy
import json
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
from aiosmtpd.controller import Controller


@dataclass
class Reply:
    """What the server does with one request."""

    status: int = 200
    body: dict[str, Any] | str | None = None  # None: the server's own answer for the upload
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (to outlast a client's timeout)


def ok() -> Reply:
    return Reply()


def rate_limited(retry_after: float = 0.2) -> Reply:
    return Reply(
        429,
        {"error": {"message": "Rate limit reached.", "type": "requests", "code": "rate_limit"}},
        {"Retry-After": f"{retry_after:g}"},
    )


def server_error(status: int = 500) -> Reply:
    return Reply(status, {"error": {"message": "The server had an error.", "type": "server_error"}})


def slow(seconds: float) -> Reply:
    return Reply(delay=seconds)


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    fields: dict[str, list[str]]  # multipart form fields; repeated names keep every value
    files: dict[str, tuple[str, str, bytes]]  # field -> (filename, content type, bytes)
    at: float  # time.monotonic() on arrival
    body: bytes = b""  # the raw request body (a webhook receiver checks its signature)

    @property
    def audio(self) -> bytes:
        return self.files["file"][2] if "file" in self.files else b""


def parse_multipart(content_type: str, body: bytes) -> tuple[dict, dict]:
    """Form fields and files of a multipart/form-data body (the email parser does the MIME)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, list[str]] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[str(name)] = (filename, part.get_content_type(), payload)
        else:
            fields.setdefault(str(name), []).append(payload.decode("utf-8", errors="replace"))
    return fields, files


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        self._handle("POST")

    def do_GET(self) -> None:
        self._handle("GET")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        fields: dict[str, list[str]] = {}
        files: dict[str, tuple[str, str, bytes]] = {}
        if content_type.startswith("multipart/form-data"):
            fields, files = parse_multipart(content_type, body)
        received = Received(
            method=method,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            fields=fields,
            files=files,
            at=time.monotonic(),
            body=body,
        )
        owner = self.server.owner
        status, payload, headers, delay = owner.respond(received)
        if delay and owner.stopping.wait(delay):
            return  # the test is over; nobody is listening
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): that is what some tests are about


class LoopbackServer:
    """A scripted HTTP server on 127.0.0.1; subclasses answer ``Reply(body=None)`` themselves.

    ``host`` may be another loopback address (127.0.0.2: a second "host" for redirects between
    hosts); a subclass may serve requests with another ``handler`` class (see ``FileServer``).
    """

    handler: type[BaseHTTPRequestHandler] = _Handler

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.requests: list[Received] = []
        self.stopping = threading.Event()
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_for(self, path: str) -> str:
        """The full URL of ``path`` on this server."""
        return f"{self.url}/{path.lstrip('/')}"

    def script(self, *replies: Reply) -> None:
        """Queue what the next requests get, in order; once empty every request gets ``ok()``."""
        with self._lock:
            self._replies.extend(replies)

    def start(self) -> LoopbackServer:
        self._httpd = _Server((self.host, 0), self.handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def respond(self, received: Received) -> tuple[int, Any, dict[str, str], float]:
        with self._lock:
            self.requests.append(received)
            reply = self._replies.popleft() if self._replies else Reply()
        if reply.body is not None:
            return reply.status, reply.body, reply.headers, reply.delay
        status, body = self.answer(received)
        return status, body, reply.headers, reply.delay

    def answer(self, received: Received) -> tuple[int, Any]:
        return 404, {"error": {"message": f"No route for {received.path}."}}


class OpenAIServer(LoopbackServer):
    """An OpenAI-compatible ``/v1/audio/transcriptions`` (and ``translations``) endpoint, and
    ``/v1/chat/completions`` (an Ollama, llama.cpp or vLLM server as the openai SDK sees it).

    Its "transcript" comes from ``transcriber(received)`` (a verbose_json dict); by default every
    burst of sound in the upload is a word ("sound") timed where the burst is in that upload,
    which is enough to check that the client cuts, offsets and re-joins correctly. A chat
    completion's message is ``chatter(received)`` (a string; script ``chat_reply`` for others).
    """

    def __init__(
        self,
        api_key: str = "sk-test-lectern",
        transcriber: Callable[[Received], dict[str, Any]] | None = None,
        chatter: Callable[[Received], str] | None = None,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.transcriber = transcriber or burst_transcript
        self.chatter = chatter or (lambda received: "{}")

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def use_in(self, settings: Any) -> None:
        """Point Lectern's OpenAI backend (pytest-django's ``settings``) at this server."""
        settings.OPENAI_API_KEY = self.api_key
        settings.OPENAI_BASE_URL = self.base_url
        settings.OPENAI_TIMEOUT = 10

    @property
    def uploads(self) -> list[Received]:
        """The requests that reached the transcription endpoints."""
        return [r for r in self.requests if r.path.startswith("/v1/audio/")]

    def answer(self, received: Received) -> tuple[int, Any]:
        if received.headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, {
                "error": {"message": "Incorrect API key provided.", "code": "invalid_api_key"}
            }
        if received.path == "/v1/chat/completions":
            return 200, chat_reply(self.chatter(received)).body
        if received.path not in ("/v1/audio/transcriptions", "/v1/audio/translations"):
            return 404, {"error": {"message": f"Unknown path {received.path}."}}
        if "file" not in received.files or "model" not in received.fields:
            return 400, {"error": {"message": "file and model are required."}}
        return 200, self.transcriber(received)


class GeminiServer(LoopbackServer):
    """Google's ``POST /v1/models/{model}:generateContent``, as the google-genai SDK calls it.

    Scripted like any ``LoopbackServer``, except that the last scripted reply repeats once the
    script is used up (a server that keeps answering 429 or keeps sending malformed output).
    """

    def __init__(self) -> None:
        super().__init__()
        self._last = Reply(500, {"error": {"code": 500, "message": "Nothing scripted."}})

    @property
    def base_url(self) -> str:
        return self.url

    def script(self, *replies: Reply) -> None:
        super().script(*replies)
        if replies:
            self._last = replies[-1]

    def answer(self, received: Received) -> tuple[int, Any]:
        return self._last.status, self._last.body


def chat_reply(content: str, model: str = "llama3.1") -> Reply:
    """A 200 ``/v1/chat/completions`` response whose message is ``content``."""
    return Reply(
        200,
        {
            "id": "chatcmpl-lectern", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        },
    )  # fmt: skip


def gemini_reply(text: str, model: str = "gemini-2.5-flash") -> Reply:
    """A 200 ``generateContent`` response whose model output is ``text``."""
    return Reply(
        200,
        {
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 20},
            "modelVersion": model,
        },
    )  # fmt: skip


class WebhookReceiver(LoopbackServer):
    """A webhook receiver: 200 to every POST unless scripted otherwise."""

    def answer(self, received: Received) -> tuple[int, Any]:
        return 200, {"received": True}


class _FileHandler(SimpleHTTPRequestHandler):
    """The standard library's file handler, plus the owner's redirects, delay and request log."""

    server: _Server

    def __init__(self, request: Any, client_address: Any, server: _Server) -> None:
        owner = server.owner
        assert isinstance(owner, FileServer)
        self.owner = owner
        super().__init__(request, client_address, server, directory=str(owner.root))

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self.owner.record(
            Received(
                method="GET",
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                fields={},
                files={},
                at=time.monotonic(),
            )
        )
        target = self.owner.redirects.get(self.path)
        if target:
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()
            return
        if self.owner.delay and self.owner.stopping.wait(self.owner.delay):
            return  # the test is over; nobody is listening
        super().do_GET()

    def copyfile(self, source: Any, outputfile: Any) -> None:
        delay = self.owner.delay
        if not delay:
            return super().copyfile(source, outputfile)
        while block := source.read(64 * 1024):  # a slow site: 64 KB per ``delay`` seconds
            outputfile.write(block)
            if self.owner.stopping.wait(delay):
                return None
        return None


class FileServer(LoopbackServer):
    """The files under ``root`` over HTTP, as a plain web site serves them (``GET`` and ``HEAD``).

    ``redirects`` maps a request path to a ``Location`` for a 302; ``delay`` makes a slow site
    (it waits ``delay`` seconds before answering and after every 64 KB). Every ``GET`` is recorded
    in ``requests``.
    """

    handler = _FileHandler

    def __init__(
        self,
        root: Path,
        host: str = "127.0.0.1",
        *,
        redirects: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        super().__init__(host)
        self.root = root
        self.redirects: dict[str, str] = dict(redirects or {})
        self.delay = delay

    @property
    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        with self._lock:
            return [received.path for received in self.requests]


class SMTPInbox:
    """An SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts, parsed.

    ``delay``: seconds it takes to accept each message, as a distant or busy mail server does.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.delay = delay
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"

    @property
    def port(self) -> int:
        assert self._controller is not None, "the server is not started"
        return self._controller.port

    def use_in(self, settings: Any) -> None:
        """Point Django's SMTP email backend (pytest-django's ``settings``) at this server."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = self.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

    def start(self) -> SMTPInbox:
        self._controller = Controller(self, hostname="127.0.0.1", port=_free_port())
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    def __enter__(self) -> SMTPInbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def decode_to_pcm(data: bytes, rate: int = 16_000) -> np.ndarray:
    """Any audio file's bytes as mono int16 samples at ``rate``, decoded by ffmpeg."""
    from transcripts.media import ffmpeg_exe

    completed = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", "pipe:0",
         "-ac", "1", "-ar", str(rate), "-f", "s16le", "pipe:1"],
        input=data, capture_output=True, check=True,
    )  # fmt: skip
    return np.frombuffer(completed.stdout, dtype="<i2")


def sound_spans(
    samples: np.ndarray, rate: int = 16_000, *, threshold: float = 0.02, min_gap: float = 0.15
) -> list[tuple[float, float]]:
    """(start, end) seconds of each stretch of sound louder than ``threshold`` (of full scale)."""
    frame = rate // 100
    count = len(samples) // frame
    if count == 0:
        return []
    frames = samples[: count * frame].astype(np.float32).reshape(count, frame) / 32768.0
    loud = np.sqrt((frames**2).mean(axis=1)) > threshold
    spans: list[tuple[float, float]] = []
    start = None
    for i, on in enumerate(loud):
        if on and start is None:
            start = i
        elif not on and start is not None:
            spans.append((start / 100, i / 100))
            start = None
    if start is not None:
        spans.append((start / 100, count / 100))
    merged: list[tuple[float, float]] = []
    for span in spans:
        if merged and span[0] - merged[-1][1] < min_gap:
            merged[-1] = (merged[-1][0], span[1])
        else:
            merged.append(span)
    return [s for s in merged if s[1] - s[0] >= 0.05]


def burst_transcript(received: Received) -> dict[str, Any]:
    """verbose_json for an upload: a word per burst of sound, a segment per run of bursts.

    Like whisper-1, words carry no punctuation and sit beside the segments; a segment's text ends
    with a full stop.
    """
    samples = decode_to_pcm(received.audio)
    duration = len(samples) / 16_000
    spans = sound_spans(samples)
    granularities = received.fields.get("timestamp_granularities[]", [])
    words = [{"word": "sound", "start": round(a, 2), "end": round(b, 2)} for a, b in spans]
    segments: list[dict[str, Any]] = []
    group: list[dict[str, Any]] = []
    for word in words:
        if group and (len(group) == 4 or word["start"] - group[-1]["end"] > 1.5):
            segments.append(_segment(len(segments), group))
            group = []
        group.append(word)
    if group:
        segments.append(_segment(len(segments), group))
    body: dict[str, Any] = {
        "task": "translate" if received.path.endswith("translations") else "transcribe",
        "language": "english",
        "duration": round(duration, 3),
        "text": " ".join(s["text"] for s in segments),
        "segments": segments,
    }
    if "word" in granularities:
        body["words"] = words
    return body


def _segment(index: int, words: list[dict[str, Any]]) -> dict[str, Any]:
    text = " ".join(w["word"] for w in words).capitalize() + "."
    return {
        "id": index,
        "seek": 0,
        "start": words[0]["start"],
        "end": words[-1]["end"],
        "text": " " + text,
        "tokens": [],
        "temperature": 0.0,
        "avg_logprob": -0.2,
        "compression_ratio": 1.2,
        "no_speech_prob": 0.01,
    }


class SigV4Front:
    """A front for an S3 server that ignores signatures (moto): it checks every GET and HEAD as S3
    checks a presigned URL (SigV4 in the query string), then passes it on.

    A URL passes when its access key is known, its ``X-Amz-Date`` plus ``X-Amz-Expires`` is not
    past (``clock_skew`` moves this server's clock, so expiry is tested without waiting), and the
    signature botocore computes with the same secret over this method, host, path and query
    matches ``X-Amz-Signature``. Otherwise: 403 with S3's error code, nothing passed on.
    """

    AUTH_PARAMS = frozenset(
        {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
         "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"}
    )  # fmt: skip

    def __init__(self, upstream: str, secrets: dict[str, str]) -> None:
        self.upstream = upstream.rstrip("/")
        self.secrets = secrets  # access key -> secret key
        self.clock_skew = 0.0
        self.refused: list[str] = []  # the S3 error code of each refused request
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "the server is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def check(self, method: str, host: str, target: str) -> str | None:
        """The S3 error code refusing this request, or None when its signature holds."""
        import datetime
        import hmac
        from urllib.parse import parse_qsl, urlencode, urlsplit

        from botocore.auth import S3SigV4QueryAuth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        parts = urlsplit(target)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        params = dict(pairs)
        if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or "X-Amz-Signature" not in params:
            return "AccessDenied"
        try:
            access_key, _, region, service, _ = params["X-Amz-Credential"].split("/")
            signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
            expires = int(params["X-Amz-Expires"])
        except (KeyError, ValueError):
            return "AuthorizationQueryParametersError"
        if access_key not in self.secrets:
            return "InvalidAccessKeyId"
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        now += datetime.timedelta(seconds=self.clock_skew)
        if not 1 <= expires <= 604800 or now > signed_at + datetime.timedelta(seconds=expires):
            return "AccessDenied"  # S3: "Request has expired"
        others = [(k, v) for k, v in pairs if k not in self.AUTH_PARAMS]
        url = f"http://{host}{parts.path}" + (f"?{urlencode(others)}" if others else "")
        request = AWSRequest(method=method, url=url, headers={"host": host})
        request.context["timestamp"] = params["X-Amz-Date"]
        signer = S3SigV4QueryAuth(
            Credentials(access_key, self.secrets[access_key]), service, region, expires=expires
        )
        # The signer's own steps, with the URL's time instead of now. The auth parameters are
        # made again from the URL's credential scope and time, so a changed one breaks the match.
        signer._modify_request_before_signing(request)
        expected = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
            return "SignatureDoesNotMatch"
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        front = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                import urllib.error
                import urllib.request

                refused = front.check(self.command, self.headers.get("Host", ""), self.path)
                if refused:
                    front.refused.append(refused)
                    body = f"<Error><Code>{refused}</Code></Error>".encode()
                    self.send_response(403)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                    return
                forward = urllib.request.Request(
                    front.upstream + self.path,
                    method=self.command,
                    headers={k: v for k, v in self.headers.items() if k.lower() == "range"},
                )
                try:
                    reply = urllib.request.urlopen(forward, timeout=30)
                except urllib.error.HTTPError as error:
                    reply = error
                with reply:
                    body = reply.read()
                    self.send_response(reply.status)
                    for name in ("Content-Type", "Content-Range", "Content-Disposition",
                                 "Accept-Ranges", "ETag"):  # fmt: skip
                        if reply.headers.get(name):
                            self.send_header(name, reply.headers[name])
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)

            do_GET = do_HEAD = _answer

        return Handler

    def start(self) -> SigV4Front:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> SigV4Front:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
