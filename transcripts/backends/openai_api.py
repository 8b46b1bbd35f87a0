"""The OpenAI transcription API (or any server that speaks it), for operators who configure a key.

Audio goes up in chunks under the API's request size limit, cut in the quietest moment near each
boundary so that no word is split, and compressed to MP3 so that a chunk holds twenty minutes
instead of thirteen (16 kHz WAV). The segments and words that come back are shifted by each
chunk's start and joined. The real ``openai`` client does the HTTP work, including retries with
backoff on 429 and 5xx that honour ``Retry-After``; every failure becomes a ``BackendError`` whose
message says what happened in words.

Usage is metered: a ``quota_check`` callable is asked before a single byte is sent, and refuses
with ``QuotaExceeded``.
"""

from __future__ import annotations

import logging
import re
import subprocess
import tempfile
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from transcripts.backends.base import (
    Availability,
    BackendError,
    BackendUnavailable,
    SegmentCallback,
    SegmentResult,
    TranscribeOptions,
    TranscriptionResult,
    Word,
)
from transcripts.media import SAMPLE_RATE, MediaError, ffmpeg_exe, read_wav

logger = logging.getLogger(__name__)

# OpenAI refuses request files over 25 MB (https://platform.openai.com/docs/guides/speech-to-text).
MAX_REQUEST_BYTES = 25 * 1024 * 1024
# The gpt-4o transcription models also refuse audio longer than 1500 s, and whisper-1's timings
# drift on very long files; twenty minutes keeps every model inside its limits.
MAX_CHUNK_SECONDS = 20 * 60

# (seconds -> bytes) for each format we can encode, at most; used to size chunks before encoding.
_FORMATS: dict[str, tuple[list[str], int, str]] = {
    # 64 kbit/s mono MP3 is transparent for speech recognition at 16 kHz and is read by every
    # OpenAI-compatible server; it is a quarter of the size of the WAV.
    "mp3": (["-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3"], 64_000 // 8, "audio/mpeg"),
    "flac": (["-c:a", "flac", "-f", "flac"], SAMPLE_RATE * 2, "audio/flac"),
    "wav": (["-c:a", "pcm_s16le", "-f", "wav"], SAMPLE_RATE * 2, "audio/wav"),
}

QuotaCheck = Callable[[int | None, float], None]


@dataclass
class OpenAIBackend:
    api_key: str = ""  # OPENAI_API_KEY
    base_url: str | None = None  # OPENAI_BASE_URL, for OpenAI-compatible servers
    model: str = "whisper-1"  # OPENAI_TRANSCRIBE_MODEL
    timeout: float = 300.0  # OPENAI_TIMEOUT: seconds for one request (a chunk) to answer
    # The client retries 429, 5xx, timeouts and dropped connections itself, with exponential
    # backoff that honours Retry-After (up to two minutes); this many times after the first try.
    max_retries: int = 3
    # (user_id, seconds of audio) -> None, or raises QuotaExceeded. Called before any upload.
    quota_check: QuotaCheck | None = None
    max_request_bytes: int = MAX_REQUEST_BYTES
    max_chunk_seconds: float = MAX_CHUNK_SECONDS
    chunk_format: str = "mp3"
    name: str = "openai"

    def availability(self) -> Availability:
        try:
            import openai  # noqa: F401
        except ImportError as exc:
            return Availability.import_failed("openai", "openai", exc)
        if not self.api_key:
            return Availability(False, "OPENAI_API_KEY is not set")
        where = self.base_url or "api.openai.com"
        return Availability(True, f"model {self.model} at {where} (metered, sends audio out)")

    def model_name(self, options: TranscribeOptions) -> str:
        return options.model or self.model

    def transcribe(
        self,
        audio: Path,
        options: TranscribeOptions,
        on_segment: SegmentCallback | None = None,
    ) -> TranscriptionResult:
        if not self.api_key:
            raise BackendUnavailable("OPENAI_API_KEY is not set.")
        if self.chunk_format not in _FORMATS:
            raise BackendUnavailable(f"Unknown chunk format {self.chunk_format!r}.")
        try:
            samples = read_wav(Path(audio))
        except MediaError as exc:
            raise BackendError(str(exc)) from exc
        duration = len(samples) / SAMPLE_RATE
        # Before anything leaves the machine: a refused quota must cost the user nothing.
        if self.quota_check is not None:
            self.quota_check(options.user_id, duration)

        # the openai SDK takes ~1 s to import: loaded only when this backend runs
        import openai

        model = self.model_name(options)
        segments: list[SegmentResult] = []
        languages: Counter[str] = Counter()
        client = openai.OpenAI(
            api_key=self.api_key,
            base_url=self.base_url or None,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )
        with client:
            for index, (start, end, data) in enumerate(self._chunks(samples)):
                offset = start / SAMPLE_RATE
                chunk_seconds = (end - start) / SAMPLE_RATE
                logger.info(
                    "openai: chunk %d at %.1f s, %.1f s long, %d bytes",
                    index, offset, chunk_seconds, len(data),
                )  # fmt: skip
                payload = self._request(client, model, index, data, options, segments)
                chunk_segments, language = parse_response(
                    payload, offset=offset, limit=offset + chunk_seconds
                )
                if language:
                    languages[language] += max(chunk_seconds, 0.001)
                for segment in chunk_segments:
                    if not segment.text:
                        continue
                    # Each request detects its own language, so a lecture that changes language
                    # between chunks keeps both.
                    segment.language = options.language or language or None
                    if not options.word_timestamps:
                        segment.words = []
                    segments.append(segment)
                    if on_segment is not None:
                        on_segment(segment)
        detected = languages.most_common(1)[0][0] if languages else ""
        return TranscriptionResult(
            language=options.language or detected or "en",
            duration=round(duration, 3),
            segments=segments,
            backend=self.name,
            model=model,
        )

    def _chunks(self, samples: np.ndarray) -> Iterator[tuple[int, int, bytes]]:
        """(start, end, encoded bytes) for each upload, each under ``max_request_bytes``."""
        args, bytes_per_second, _ = _FORMATS[self.chunk_format]
        # 90 %: room for the container's headers and an encoder that overshoots its bitrate.
        seconds = min(self.max_chunk_seconds, 0.9 * self.max_request_bytes / bytes_per_second)
        if seconds < 1:
            raise BackendError("The request size limit is too small for any audio.")
        pending = plan_chunks(samples, max_seconds=seconds)
        pending.reverse()
        while pending:
            start, end = pending.pop()
            data = encode_chunk(samples[start:end], args, f".{self.chunk_format}")
            if len(data) > self.max_request_bytes and end - start > SAMPLE_RATE:
                # Rare (a VBR encoder's bad day): halve the chunk at a quiet point and go again.
                middle = quietest_point(
                    samples, start + (end - start) // 4, end - (end - start) // 4
                )
                pending.extend([(middle, end), (start, middle)])
                continue
            yield start, end, data

    def _request(
        self,
        client: Any,
        model: str,
        index: int,
        data: bytes,
        options: TranscribeOptions,
        previous: list[SegmentResult],
    ) -> dict[str, Any]:
        # the openai SDK takes ~1 s to import: loaded only when this backend runs
        import openai

        _, _, mime = _FORMATS[self.chunk_format]
        upload = (f"chunk-{index:03d}.{self.chunk_format}", data, mime)
        prompt = _prompt(options, previous)
        extra: dict[str, Any] = {}
        if prompt:
            extra["prompt"] = prompt
        try:
            if options.task == "translate":
                # The client marks the endpoint deprecated (whisper-1 only, shutting down in
                # 2027); it is still the only API path that translates, so keep the warning quiet.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    response = client.audio.translations.create(
                        model=model, file=upload, response_format="verbose_json", **extra
                    )
            else:
                if options.language:
                    extra["language"] = options.language
                granularities = ["segment", "word"] if options.word_timestamps else ["segment"]
                response = client.audio.transcriptions.create(
                    model=model,
                    file=upload,
                    response_format="verbose_json",
                    timestamp_granularities=granularities,
                    **extra,
                )
        except openai.APIError as exc:
            raise BackendError(self._explain(exc)) from exc
        if hasattr(response, "model_dump"):
            return response.model_dump()
        if isinstance(response, dict):
            return response
        raise BackendError(
            f"The transcription API answered in an unexpected form ({type(response).__name__}); "
            f"it must support response_format=verbose_json."
        )

    def _explain(self, exc: Exception) -> str:
        """A sentence for the user (and the fallback record) about a failed API call."""
        # the openai SDK takes ~1 s to import: loaded only when this backend runs
        import openai

        where = self.base_url or "the OpenAI API"
        tries = f"after {self.max_retries + 1} attempts" if self.max_retries else "(no retries)"
        if isinstance(exc, openai.APITimeoutError):
            return f"{where} did not answer within {self.timeout:g} seconds {tries}."
        if isinstance(exc, openai.APIConnectionError):
            return f"Could not connect to {where} {tries}: {exc}."
        if isinstance(exc, openai.APIStatusError):
            detail = _error_detail(exc)
            status = exc.status_code
            if status == 401:
                return f"{where} refused the API key (HTTP 401). Check OPENAI_API_KEY."
            if status == 429 and "insufficient_quota" in detail:
                return f"The OpenAI account has run out of credit (HTTP 429): {detail}"
            if status == 429:
                return f"{where} is rate limiting requests (HTTP 429) {tries}: {detail}"
            if status >= 500:
                return f"{where} failed with a server error (HTTP {status}) {tries}: {detail}"
            return f"{where} refused the request (HTTP {status}): {detail}"
        return f"{where} failed: {exc}"


def _error_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            message = error.get("message") or ""
            code = error.get("code") or error.get("type") or ""
            return f"{message} ({code})" if code and message else str(message or code)
        if isinstance(error, str):
            return error
    return getattr(exc, "message", "") or str(exc)


def _prompt(options: TranscribeOptions, previous: list[SegmentResult]) -> str:
    """The vocabulary, then the end of the text so far, so each chunk continues the last.

    Whisper reads only the last 224 tokens of a prompt, so the recent text goes last and the
    whole is kept short.
    """
    vocabulary = " ".join(p for p in (options.initial_prompt, options.hotwords) if p).strip()
    recent = " ".join(segment.text for segment in previous[-6:])[-400:]
    if recent and " " in recent:
        recent = recent[recent.index(" ") + 1 :]  # don't start on half a word
    return " ".join(p for p in (vocabulary[-400:], recent) if p).strip()


def plan_chunks(
    samples: np.ndarray,
    *,
    max_seconds: float,
    search_seconds: float = 30.0,
    rate: int = SAMPLE_RATE,
) -> list[tuple[int, int]]:
    """Sample ranges of at most ``max_seconds`` covering ``samples``, cut at quiet moments.

    Each cut is the quietest point in the last ``search_seconds`` (at most a quarter) of a chunk,
    so a cut falls in a pause between words rather than in one.
    """
    total = len(samples)
    longest = max(int(max_seconds * rate), 1)
    search = max(min(int(search_seconds * rate), longest // 4), 1)
    ranges: list[tuple[int, int]] = []
    start = 0
    while total - start > longest:
        end = start + longest
        cut = quietest_point(samples, max(end - search, start + 1), end, rate=rate)
        ranges.append((start, cut))
        start = cut
    ranges.append((start, total))
    return ranges


def quietest_point(samples: np.ndarray, lo: int, hi: int, *, rate: int = SAMPLE_RATE) -> int:
    """The centre of the quietest 300 ms window between samples ``lo`` and ``hi``.

    Energy is measured in 10 ms frames and averaged over 300 ms so that the cut lands inside a
    pause, not in the short gap between two syllables. Among equally quiet windows (digital
    silence) the latest wins, which keeps chunks as long as allowed.
    """
    frame = max(rate // 100, 1)
    lo, hi = max(lo, 0), min(hi, len(samples))
    count = (hi - lo) // frame
    if count < 2:
        return (lo + hi) // 2
    window = np.asarray(samples[lo : lo + count * frame], dtype=np.float32)
    energy = (window.reshape(count, frame) ** 2).mean(axis=1)
    width = min(30, count)
    smoothed = np.convolve(energy, np.ones(width) / width, mode="valid")
    quietest = float(smoothed.min())
    candidates = np.flatnonzero(smoothed <= quietest * 1.01 + 1e-3)
    best = int(candidates[-1])
    return lo + (best + width // 2) * frame


def encode_chunk(samples: np.ndarray, args: list[str], suffix: str = ".mp3") -> bytes:
    """16 kHz mono PCM samples encoded by ffmpeg with ``args`` (codec and container).

    Written to a file, not a pipe: only on a seekable output does ffmpeg go back and write the
    MP3's LAME header, which tells decoders to drop the encoder's 69 ms of leading padding.
    Without it every time the API returns would be 69 ms late.
    """

    pcm = np.ascontiguousarray(samples, dtype="<i2").tobytes()
    with tempfile.TemporaryDirectory(prefix="lectern-upload-") as folder:
        target = Path(folder) / f"chunk{suffix}"
        command = [
            ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0",
            *args, str(target),
        ]  # fmt: skip
        completed = subprocess.run(command, input=pcm, capture_output=True, timeout=600)
        if completed.returncode != 0:
            detail = completed.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
            raise BackendError(f"Could not encode the audio for upload ({detail[0]}).")
        return target.read_bytes()


def parse_response(
    payload: dict[str, Any], *, offset: float, limit: float | None = None
) -> tuple[list[SegmentResult], str]:
    """Segments (shifted by ``offset`` seconds) and the language code from a verbose_json body.

    whisper-1 returns words beside the segments, not inside them, and without punctuation; each
    word goes to the segment its middle falls in, and takes its spelling from the segment text
    where the two agree, so that words keep the punctuation subtitles break on.
    """
    language = language_code(str(payload.get("language") or ""))
    spaced = language not in _UNSPACED
    raw_segments = list(payload.get("segments") or [])
    if not raw_segments and (payload.get("text") or "").strip():
        end = float(payload.get("duration") or 0.0)
        raw_segments = [{"start": 0.0, "end": end, "text": payload["text"]}]
    loose_words = [w for w in payload.get("words") or [] if str(w.get("word", "")).strip()]

    assigned: list[list[dict[str, Any]]] = [
        list(segment.get("words") or []) for segment in raw_segments
    ]
    if loose_words and raw_segments and not any(assigned):
        j = 0
        for word in loose_words:
            middle = (float(word["start"]) + float(word["end"])) / 2
            while j < len(raw_segments) - 1 and middle >= float(raw_segments[j]["end"]):
                j += 1
            assigned[j].append(word)

    def at(seconds: Any) -> float:
        value = float(seconds or 0.0) + offset
        if limit is not None:
            value = min(value, limit)
        return round(max(value, offset), 3)

    segments: list[SegmentResult] = []
    for raw, words in zip(raw_segments, assigned, strict=True):
        text = str(raw.get("text") or "").strip()
        spellings = _spellings([str(w.get("word", "")) for w in words], text, spaced)
        segments.append(
            SegmentResult(
                start=at(raw.get("start")),
                end=at(raw.get("end")),
                text=text,
                avg_logprob=_number(raw.get("avg_logprob")),
                no_speech_prob=_number(raw.get("no_speech_prob")),
                words=[
                    Word(
                        at(w.get("start")),
                        at(w.get("end")),
                        spelling,
                        _number(w.get("probability")),
                    )
                    for w, spelling in zip(words, spellings, strict=True)
                ],
            )
        )
    return segments, language


def _number(value: Any) -> float | None:
    try:
        return None if value is None else round(float(value), 4)
    except (TypeError, ValueError):
        return None


def _norm(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _spellings(words: list[str], text: str, spaced: bool) -> list[str]:
    """Each word as spelt in the segment text (with its punctuation), with a leading space.

    Words and text are matched in order by their letters and digits; a word not found within a
    few tokens keeps the API's spelling. Languages without spaces keep the API's words as they are.
    """
    if not spaced:
        return [w.strip() for w in words]
    tokens = text.split()
    out: list[str] = []
    k = 0
    for word in words:
        key = _norm(word)
        found = None
        for m in range(k, min(k + 4, len(tokens))):
            if _norm(tokens[m]) == key:
                found = m
                break
        if found is not None:
            out.append(" " + tokens[found])
            k = found + 1
        else:
            out.append(" " + word.strip())
    return out


_UNSPACED = frozenset({"zh", "ja", "th", "lo", "my", "yue"})

# Whisper's languages, as verbose_json names them ("english"), to the ISO codes we store ("en").
LANGUAGE_NAMES = {
    "english": "en", "chinese": "zh", "german": "de", "spanish": "es", "russian": "ru",
    "korean": "ko", "french": "fr", "japanese": "ja", "portuguese": "pt", "turkish": "tr",
    "polish": "pl", "catalan": "ca", "dutch": "nl", "arabic": "ar", "swedish": "sv",
    "italian": "it", "indonesian": "id", "hindi": "hi", "finnish": "fi", "vietnamese": "vi",
    "hebrew": "he", "ukrainian": "uk", "greek": "el", "malay": "ms", "czech": "cs",
    "romanian": "ro", "danish": "da", "hungarian": "hu", "tamil": "ta", "norwegian": "no",
    "thai": "th", "urdu": "ur", "croatian": "hr", "bulgarian": "bg", "lithuanian": "lt",
    "latin": "la", "maori": "mi", "malayalam": "ml", "welsh": "cy", "slovak": "sk",
    "telugu": "te", "persian": "fa", "latvian": "lv", "bengali": "bn", "serbian": "sr",
    "azerbaijani": "az", "slovenian": "sl", "kannada": "kn", "estonian": "et",
    "macedonian": "mk", "breton": "br", "basque": "eu", "icelandic": "is", "armenian": "hy",
    "nepali": "ne", "mongolian": "mn", "bosnian": "bs", "kazakh": "kk", "albanian": "sq",
    "swahili": "sw", "galician": "gl", "marathi": "mr", "punjabi": "pa", "sinhala": "si",
    "khmer": "km", "shona": "sn", "yoruba": "yo", "somali": "so", "afrikaans": "af",
    "occitan": "oc", "georgian": "ka", "belarusian": "be", "tajik": "tg", "sindhi": "sd",
    "gujarati": "gu", "amharic": "am", "yiddish": "yi", "lao": "lo", "uzbek": "uz",
    "faroese": "fo", "haitian creole": "ht", "pashto": "ps", "turkmen": "tk", "nynorsk": "nn",
    "maltese": "mt", "sanskrit": "sa", "luxembourgish": "lb", "myanmar": "my", "tibetan": "bo",
    "tagalog": "tl", "malagasy": "mg", "assamese": "as", "tatar": "tt", "hawaiian": "haw",
    "lingala": "ln", "hausa": "ha", "bashkir": "ba", "javanese": "jw", "sundanese": "su",
    "cantonese": "yue",
    # Other names Whisper accepts for the same languages.
    "burmese": "my", "valencian": "ca", "flemish": "nl", "haitian": "ht", "letzeburgesch": "lb",
    "pushto": "ps", "panjabi": "pa", "moldavian": "ro", "moldovan": "ro", "sinhalese": "si",
    "castilian": "es", "mandarin": "zh",
}  # fmt: skip


def language_code(name: str) -> str:
    """ "english" -> "en"; a code stays a code; an unknown name is kept, lower-cased."""
    key = re.sub(r"\s+", " ", name.strip().casefold())
    if not key:
        return ""
    return LANGUAGE_NAMES.get(key, key)
