"""whisper.cpp through pywhispercpp: a second offline backend, with a ggml model file.

``WHISPER_CPP_MODEL`` names the model: a path to a ggml ``.bin`` file, or a name found in
pywhispercpp's models directory (``tiny.en`` finds ``tiny.en``, ``tiny.en.bin`` or
``ggml-tiny.en.bin`` there). pywhispercpp downloads a missing model by name; we never let it, so a
worker never fetches hundreds of megabytes in the middle of a job: the model is resolved to an
existing file here and pywhispercpp only ever sees that path.

Word timings come from whisper.cpp's DTW alignment over the cross-attention heads (the same method
faster-whisper and openai-whisper use) when the model is one whose alignment heads whisper.cpp
knows; otherwise from whisper.cpp's older token-timestamp heuristic, which is rougher but never
missing.
"""

from __future__ import annotations

import atexit
import logging
import os
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
from transcripts.hardware import cpu_count
from transcripts.media import MediaError, read_wav

logger = logging.getLogger(__name__)
whisper_log = logging.getLogger("whisper.cpp")

_GGML_MAGIC = 0x67676D6C


class _Loaded:
    """A whisper.cpp context and what we learnt about it when loading."""

    def __init__(self, model: Any, multilingual: bool, dtw: bool) -> None:
        self.model = model
        self.multilingual = multilingual
        self.dtw = dtw
        # A whisper.cpp context holds one decoding state: two jobs must not run it at once.
        self.lock = threading.Lock()


# Loaded models stay in the process (a worker serves many jobs); keyed by what changes the context.
_models: dict[tuple[str, int, bool], _Loaded] = {}
_models_lock = threading.Lock()


def models_dir() -> Path:
    """pywhispercpp's own models directory (where its downloader would put files)."""
    try:
        # loads the whisper.cpp library: only when this backend runs
        from pywhispercpp.constants import MODELS_DIR
    except ImportError:
        return Path("~/.local/share/pywhispercpp/models").expanduser()
    return Path(MODELS_DIR)


def resolve_model(model: str) -> Path:
    """The ggml file ``model`` names, never downloading; raises ``BackendUnavailable``."""
    if not model:
        raise BackendUnavailable("WHISPER_CPP_MODEL is not set (a ggml model file or name).")
    path = Path(model).expanduser()
    if path.is_file():
        return path.resolve()
    if os.sep in model or model.endswith(".bin"):
        raise BackendUnavailable(f"The whisper.cpp model file {path} does not exist.")
    directory = models_dir()
    for candidate in (model, f"{model}.bin", f"ggml-{model}.bin"):
        if (directory / candidate).is_file():
            return (directory / candidate).resolve()
    raise BackendUnavailable(
        f"No whisper.cpp model named {model!r} in {directory}; set WHISPER_CPP_MODEL to a ggml "
        f"file (Lectern never downloads models while running)."
    )


@dataclass(frozen=True)
class GgmlInfo:
    n_vocab: int
    n_audio_layer: int
    n_text_layer: int

    @property
    def multilingual(self) -> bool:
        return self.n_vocab >= 51865


def read_ggml_header(path: Path) -> GgmlInfo:
    """The hyper-parameters at the start of a ggml Whisper file (to pick DTW alignment heads)."""
    with open(path, "rb") as handle:
        header = handle.read(48)
    if len(header) < 48 or struct.unpack_from("<I", header)[0] != _GGML_MAGIC:
        raise BackendUnavailable(f"{path} is not a whisper.cpp ggml model file.")
    values = struct.unpack_from("<11i", header, 4)
    return GgmlInfo(n_vocab=values[0], n_audio_layer=values[4], n_text_layer=values[8])


def alignment_heads(info: GgmlInfo) -> str | None:
    """The name of whisper.cpp's alignment-heads preset for this model, or None when unknown.

    The presets are per model size, and the wrong heads give wrong word times, so anything we
    cannot identify for certain (large-v1 and -v2 share a shape) uses the token heuristic instead.
    """
    sizes = {4: "TINY", 6: "BASE", 12: "SMALL", 24: "MEDIUM"}
    if info.n_audio_layer in sizes:
        return f"WHISPER_AHEADS_{sizes[info.n_audio_layer]}{'' if info.multilingual else '_EN'}"
    if info.n_audio_layer == 32 and info.n_vocab == 51866:  # only large-v3 has 51866 tokens
        turbo = info.n_text_layer == 4
        return "WHISPER_AHEADS_LARGE_V3_TURBO" if turbo else "WHISPER_AHEADS_LARGE_V3"
    return None


# whisper.cpp logs to stderr from C (model shapes, buffer sizes, the detected language). We route
# it to Python logging while we use it, and restore its default logger afterwards: a Python log
# callback still installed when the interpreter shuts down and a context is freed crashes the
# process ("PyThreadState_Get: the GIL is released").
_log_users = 0
_log_lock = threading.Lock()


def _forward_log(level: int, text: str) -> None:
    whisper_log.debug("%s", text.rstrip())


@contextmanager
def _quiet_logs() -> Iterator[None]:
    # loads the whisper.cpp library: only when this backend runs
    import _pywhispercpp as pw

    global _log_users
    with _log_lock:
        if _log_users == 0:
            pw.whisper_log_set(_forward_log)
        _log_users += 1
    try:
        yield
    finally:
        with _log_lock:
            _log_users -= 1
            if _log_users == 0:
                pw.whisper_log_set(None)


def _free_models() -> None:
    """Free contexts while the interpreter is still whole (registered with atexit)."""
    with _models_lock:
        _models.clear()
    try:
        # loads the whisper.cpp library: only when this backend runs
        import _pywhispercpp as pw

        pw.whisper_log_set(None)
    except ImportError:
        pass


atexit.register(_free_models)


@dataclass
class WhisperCppBackend:
    model: str = ""  # WHISPER_CPP_MODEL: a ggml file, or a name in pywhispercpp's models directory
    threads: int = 0  # LECTERN_THREADS; 0: all cores
    name: str = "whispercpp"

    def availability(self) -> Availability:
        try:
            import pywhispercpp.model  # noqa: F401
        except ImportError as exc:
            return Availability.import_failed("pywhispercpp", "pywhispercpp", exc)
        try:
            path = resolve_model(self.model)
            info = read_ggml_header(path)
        except BackendUnavailable as exc:
            return Availability(False, str(exc))
        words = "DTW word timings" if alignment_heads(info) else "heuristic word timings"
        return Availability(True, f"model {path.name} on cpu, {self._threads()} threads, {words}")

    def model_name(self, options: TranscribeOptions) -> str:
        model = options.model or self.model
        # A path is recorded by its file name: the directory is the operator's business.
        return Path(model).name if (os.sep in model or model.endswith(".bin")) else model

    def _threads(self) -> int:
        return self.threads or cpu_count()

    def load(self, model: str | None = None, *, words: bool = True) -> _Loaded:
        """The loaded model, shared by every job in this process.

        With ``words`` the context is created with DTW alignment, which needs flash attention off
        (whisper.cpp refuses both together) and so costs about a quarter more time; a caller that
        wants no word timings gets a faster context.
        """
        # loads the whisper.cpp library: only when this backend runs
        import _pywhispercpp as pw
        from pywhispercpp.model import Model

        path = resolve_model(model or self.model)
        info = read_ggml_header(path)
        heads = alignment_heads(info) if words else None
        threads = self._threads()
        key = (str(path), threads, heads is not None)
        with _models_lock:
            if key not in _models:
                context: dict[str, Any] = {}
                if heads is not None:
                    context = {
                        "dtw_token_timestamps": True,
                        "dtw_aheads_preset": getattr(pw.whisper_alignment_heads_preset, heads),
                        "flash_attn": False,
                    }
                try:
                    with _quiet_logs():
                        loaded = Model(
                            str(path),
                            n_threads=threads,
                            print_progress=False,
                            print_realtime=False,
                            print_timestamps=False,
                            context_params=context or None,
                        )
                except Exception as exc:
                    raise BackendUnavailable(
                        f"Could not load the whisper.cpp model {path.name}: {exc}"
                    ) from exc
                if getattr(loaded, "_ctx", None) is None:
                    raise BackendUnavailable(f"whisper.cpp could not load the model {path.name}.")
                multilingual = bool(pw.whisper_is_multilingual(loaded._ctx))
                _models[key] = _Loaded(loaded, multilingual, heads is not None)
            return _models[key]

    def transcribe(
        self,
        audio: Path,
        options: TranscribeOptions,
        on_segment: SegmentCallback | None = None,
    ) -> TranscriptionResult:
        # loads the whisper.cpp library: only when this backend runs
        import _pywhispercpp as pw

        loaded = self.load(options.model, words=options.word_timestamps)
        language = options.language or None
        if not loaded.multilingual:
            if language and language != "en":
                raise BackendError(
                    f"The model {self.model_name(options)} only understands English, "
                    f"not {language!r}. Choose a multilingual model."
                )
            language = "en"
        try:
            samples = read_wav(Path(audio), mmap=False)
        except MediaError as exc:
            raise BackendError(str(exc)) from exc
        pcm = samples.astype(np.float32) / np.float32(32768.0)
        duration = len(pcm) / 16_000.0
        prompt = " ".join(p for p in (options.initial_prompt, options.hotwords) if p)

        segments: list[SegmentResult] = []
        # The segment callback runs inside whisper_full; an exception must not cross the C
        # boundary, so it is kept and whisper.cpp is asked to stop through the abort callback.
        failure: list[BaseException] = []

        def collect(_segment: Any = None) -> None:
            # Read every segment whisper.cpp holds that we have not read yet, by index. The
            # callback's own count cannot be trusted: pywhispercpp calls it more often than there
            # are new segments on longer audio, and reading a segment past the end crashes the
            # process (SIGSEGV in whisper_full_get_token_data).
            if failure:
                return
            try:
                ctx = loaded.model._ctx
                while len(segments) < pw.whisper_full_n_segments(ctx):
                    segment = _segment_at(pw, ctx, len(segments), loaded.dtw)
                    segments.append(segment)
                    if on_segment is not None and segment.text:
                        on_segment(segment)
            except BaseException as exc:
                failure.append(exc)

        with loaded.lock:
            try:
                with _quiet_logs():
                    loaded.model.transcribe(
                        pcm,
                        new_segment_callback=collect,
                        abort_callback=lambda: bool(failure),
                        # "auto" makes whisper.cpp detect the language in whisper_full itself;
                        # detect_language=True would detect and then stop without transcribing.
                        language=language or "auto",
                        translate=options.task == "translate" and loaded.multilingual,
                        initial_prompt=prompt,
                        token_timestamps=options.word_timestamps,
                        # Within one call whisper.cpp always conditions each window on the text
                        # before it; no_context only stops the last job's text leaking into this.
                        no_context=True,
                        print_progress=False,
                        print_realtime=False,
                    )
                ctx = loaded.model._ctx
                collect()  # any segment the callback did not report (none are after an abort)
                detected = pw.whisper_lang_str(pw.whisper_full_lang_id(ctx))
            except Exception as exc:
                logger.exception("whisper.cpp failed on %s", audio)
                raise BackendError(f"whisper.cpp failed on this audio: {exc}") from exc
        if failure:
            raise failure[0]
        kept = [segment for segment in segments if segment.text]
        if not options.word_timestamps:
            for segment in kept:
                segment.words = []
        return TranscriptionResult(
            language=language or detected or "en",
            duration=round(duration, 3),
            segments=kept,
            backend=self.name,
            model=self.model_name(options),
        )


def _segment_at(pw: Any, ctx: Any, index: int, dtw: bool) -> SegmentResult:
    """Segment ``index`` of the last run, with words built from its tokens."""
    start = pw.whisper_full_get_segment_t0(ctx, index) / 100.0
    end = pw.whisper_full_get_segment_t1(ctx, index) / 100.0
    text = pw.whisper_full_get_segment_text(ctx, index).decode("utf-8", errors="replace").strip()
    eot = pw.whisper_token_eot(ctx)
    language = pw.whisper_lang_str(pw.whisper_full_lang_id(ctx))
    tokens: list[TokenTiming] = []
    for j in range(pw.whisper_full_n_tokens(ctx, index)):
        data = pw.whisper_full_get_token_data(ctx, index, j)
        if data.id >= eot:  # timestamps, [_BEG_] and other special tokens are not text
            continue
        tokens.append(
            TokenTiming(
                text=pw.whisper_token_to_bytes(ctx, data.id),
                t0=data.t0,
                t1=data.t1,
                t_dtw=data.t_dtw if dtw else -1,
                p=data.p,
                plog=data.plog,
            )
        )
    logprobs = [token.plog for token in tokens]
    return SegmentResult(
        start=round(start, 3),
        end=round(end, 3),
        text=text,
        avg_logprob=round(float(np.mean(logprobs)), 4) if logprobs else None,
        no_speech_prob=None,  # whisper.cpp does not expose it per segment
        words=words_from_tokens(tokens, start, end, spaced=language not in UNSPACED_LANGUAGES),
    )


@dataclass(frozen=True)
class TokenTiming:
    """One text token of a whisper.cpp segment: its bytes and times in centiseconds."""

    text: bytes
    t0: int
    t1: int
    t_dtw: int  # -1 when DTW was off or failed
    p: float
    plog: float = 0.0


# Punctuation that closes what comes before it; a token of these joins the previous word even after
# a space (" ..."). Quotes are left out: after a space one opens a quotation and starts a word.
_ATTACHING = set(".,!?;:%)]}»”’…。，、？！：；")


def _complete(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Languages written without spaces between words, as faster-whisper lists them.
UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "my", "yue"})


def words_from_tokens(
    tokens: list[TokenTiming], start: float, end: float, *, spaced: bool = True
) -> list[Word]:
    """Group BPE tokens into words, as faster-whisper does.

    A token that begins with a space begins a word; a token of punctuation joins the word before
    (with ``spaced`` False, for Chinese or Japanese, every whole character run is a word).
    Bytes are joined before decoding because one character can span tokens (accents, CJK).
    With DTW, a word runs from the end of the word before (the segment start for the first) to the
    ``t_dtw`` of its last token, which marks where the word's sound ends: on JFK most word ends
    fall within 60 ms of faster-whisper's on the same weights, though around a pause the two may
    give the silence to different words (up to 1 s apart with base). Without DTW the heuristic
    ``t0``/``t1`` are used. Times are clamped into the segment and made monotonic.
    """
    groups: list[list[TokenTiming]] = []
    for token in tokens:
        if not groups:
            groups.append([token])
        elif not spaced:
            # Languages written without spaces: a word is each run of tokens that decodes to whole
            # characters (faster-whisper's split_tokens_on_unicode).
            if _complete(b"".join(t.text for t in groups[-1])):
                groups.append([token])
            else:
                groups[-1].append(token)
        else:
            decoded = token.text.decode("utf-8", errors="ignore").strip()
            punctuation = bool(decoded) and all(ch in _ATTACHING for ch in decoded)
            if token.text[:1] in (b" ", b"\n") and not punctuation:
                groups.append([token])
            else:
                groups[-1].append(token)

    words: list[Word] = []
    previous_end = start
    for group in groups:
        text = b"".join(token.text for token in group).decode("utf-8", errors="replace")
        if not text.strip():
            continue
        if all(token.t_dtw >= 0 for token in group):
            word_start = previous_end
            word_end = group[-1].t_dtw / 100.0
        else:
            word_start = group[0].t0 / 100.0 if group[0].t0 >= 0 else previous_end
            word_end = group[-1].t1 / 100.0 if group[-1].t1 >= 0 else word_start
        word_start = min(max(word_start, previous_end, start), end)
        word_end = min(max(word_end, word_start), end)
        probability = float(np.mean([token.p for token in group]))
        words.append(Word(round(word_start, 3), round(word_end, 3), text, round(probability, 4)))
        previous_end = word_end
    return words
