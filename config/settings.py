"""Lectern settings: one module, driven by environment variables, with an embedded default.

With no environment at all Lectern runs on SQLite (WAL mode) and django-q2's ORM broker under
``LECTERN_DATA_DIR`` (default ``var/``), the bundled offline speech model, local highlight analysis and
email printed to the console. ``DATABASE_URL``, ``REDIS_URL``, ``EMAIL_URL``, ``OPENAI_API_KEY`` and
``GEMINI_API_KEY`` switch to real services. Every variable is documented in ``.env.example``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config import env

BASE_DIR = Path(__file__).resolve().parent.parent

# Files Lectern creates (the SQLite database, media, derived audio) are readable by its own user
# and group only: a recording and its transcript are not for every account on the host.
os.umask(0o027)
DATA_DIR = Path(env.string("LECTERN_DATA_DIR", "") or BASE_DIR / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
CACHE_DIR = Path(env.string("LECTERN_CACHE_DIR", "") or DATA_DIR / "cache").resolve()


def _secret_key() -> str:
    """The configured key, or one generated once and kept in the data directory."""
    configured = env.string("DJANGO_SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.boolean("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env.strings("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.strings("DJANGO_CSRF_TRUSTED_ORIGINS")
# Absolute address of the site, used for every link in an email (job notifications, password
# resets): never taken from a request's Host header.
BASE_URL = env.string("LECTERN_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_q",
    # django-ninja: its API docs pages (Swagger UI, ReDoc) from its own static files, not a CDN.
    "ninja",
    "transcripts",
    "jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so that every response (errors included) carries the policy.
    "jobs.ops.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jobs.pages.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# SQLite, wherever its file is named (the default, or a sqlite:// DATABASE_URL): WAL lets the web
# server read while a worker writes; IMMEDIATE transactions take the write lock up front so that two
# processes never deadlock upgrading a read lock (SQLite answers such a deadlock "database is locked"
# at once, whatever the timeout: a count-then-insert under concurrent requests hit it).
_SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
_database_url = env.string("DATABASE_URL")
if _database_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    except (ValueError, dj_database_url.UnknownSchemeError) as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = {
            **_SQLITE_OPTIONS,
            **DATABASES["default"].get("OPTIONS", {}),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "lectern.sqlite3",
            "OPTIONS": dict(_SQLITE_OPTIONS),
        }
    }
    # A database made before the umask above was world-readable: close it too.
    for _suffix in ("", "-wal", "-shm"):
        _file = Path(f"{DATABASES['default']['NAME']}{_suffix}")
        try:
            if _file.exists() and _file.stat().st_mode & 0o007:
                _file.chmod(_file.stat().st_mode & 0o770)
        except OSError:  # not ours to change; the deployment guide says how
            pass
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Task queue (django-q2) ------------------------------------------------------------------------
# The slowest job we expect (a long lecture with highlights on a small CPU) must finish inside
# ``timeout``; ``retry`` is longer than ``timeout`` so that a running job is never handed to a second
# worker while the first is still on it. A worker killed mid-job is noticed sooner by the sweeper.
JOB_TIMEOUT = env.integer("LECTERN_JOB_TIMEOUT", 4 * 3600, minimum=60)
JOB_MAX_ATTEMPTS = env.integer("LECTERN_JOB_MAX_ATTEMPTS", 3, minimum=1)
REDIS_URL = env.string("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://")
# Crash recovery (jobs.pipeline.sweeper): a worker touches its running job's heartbeat this often, and the
# sweeper, run every minute, puts a running job whose heartbeat is older than
# LECTERN_STALE_AFTER_SECONDS back in the queue (or fails it after JOB_MAX_ATTEMPTS).
LECTERN_HEARTBEAT_SECONDS = env.number("LECTERN_HEARTBEAT_SECONDS", 10, minimum=0.1)
LECTERN_STALE_AFTER_SECONDS = env.number("LECTERN_STALE_AFTER_SECONDS", 60, minimum=1)
if LECTERN_STALE_AFTER_SECONDS < 3 * LECTERN_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "LECTERN_STALE_AFTER_SECONDS must be at least 3 times LECTERN_HEARTBEAT_SECONDS, "
        "or a busy but live worker would be taken for a dead one"
    )
Q_CLUSTER: dict[str, object] = {
    "name": env.string("LECTERN_QUEUE_NAME", "lectern"),
    "workers": env.integer("LECTERN_WORKERS", 1, minimum=1),
    "timeout": JOB_TIMEOUT,
    "retry": JOB_TIMEOUT + 600,
    "max_attempts": JOB_MAX_ATTEMPTS,
    # Speech models are large: recycle a worker process now and then, and whenever it grows past
    # the limit, so that a leak in a native library cannot take the machine down.
    "recycle": 50,
    "max_rss": env.integer("LECTERN_WORKER_MAX_RSS_MB", 6144, minimum=256) * 1024,
    "save_limit": 500,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.5,
    "label": "Task queue",
}
if REDIS_URL:
    # django-q2 passes a URL string to redis.from_url. Redis has no delivery receipts, so ``retry``
    # applies to the ORM broker only: a task held by a worker that died is gone, and the sweeper
    # puts its job back in the queue.
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Auth --------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Off unless LECTERN_SIGNUP=1: a self-hosted server reachable from the internet would otherwise
# give its CPU (and its OpenAI quota) to anyone who finds it. Staff add users in admin.
SIGNUP_ENABLED = env.boolean("LECTERN_SIGNUP", False)
# Failed passwords are counted per (account, address) pair, per account and per address in the
# shared cache (jobs.accounts.throttle).
AUTHENTICATION_BACKENDS = ["jobs.accounts.throttle.ThrottledModelBackend"]
LECTERN_LOGIN_FAILURES_PER_ACCOUNT = env.integer("LECTERN_LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
LECTERN_LOGIN_FAILURES_PER_ADDRESS = env.integer(
    "LECTERN_LOGIN_FAILURES_PER_ADDRESS", 20, minimum=1
)
LECTERN_LOGIN_WINDOW_SECONDS = env.integer("LECTERN_LOGIN_WINDOW_SECONDS", 900, minimum=1)
# Past LECTERN_LOGIN_FAILURES_PER_ACCOUNT failures from everywhere, an account backs off (not
# locks): BACKOFF * 2^(failures past it) after the last failure, at most BACKOFF_MAX; addresses
# the account signed in from before skip it.
LECTERN_LOGIN_BACKOFF_SECONDS = env.number("LECTERN_LOGIN_BACKOFF_SECONDS", 1, minimum=0)
LECTERN_LOGIN_BACKOFF_MAX_SECONDS = env.number("LECTERN_LOGIN_BACKOFF_MAX_SECONDS", 300, minimum=0)
# Emails to staff about sign-in bursts (an account or an address reaching its limit), an hour.
LECTERN_LOGIN_ALERTS_PER_HOUR = env.integer("LECTERN_LOGIN_ALERTS_PER_HOUR", 6, minimum=0)
# Password-reset requests an hour from one address (429 past it) and for one email address
# (past it the page answers as usual, and no more emails go out).
LECTERN_PASSWORD_RESETS_PER_HOUR_PER_ADDRESS = env.integer(
    "LECTERN_PASSWORD_RESETS_PER_HOUR_PER_ADDRESS", 10, minimum=1
)
LECTERN_PASSWORD_RESETS_PER_HOUR_PER_ACCOUNT = env.integer(
    "LECTERN_PASSWORD_RESETS_PER_HOUR_PER_ACCOUNT", 3, minimum=1
)
LECTERN_SIGNUPS_PER_HOUR_PER_ADDRESS = env.integer(
    "LECTERN_SIGNUPS_PER_HOUR_PER_ADDRESS", 20, minimum=1
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "jobs:dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- I18n --------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.string("LECTERN_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing folder before collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage",
    },
}
# Serve from the finders when static files were not collected (tests, first start).
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env.string("LECTERN_MEDIA_ROOT", "") or DATA_DIR / "media").resolve()
# Media is never served by URL: every file goes through a view that checks its owner.

# --- Object storage (optional) -----------------------------------------------------------------------
# With a bucket, every file a job keeps (source media, poster, slide pictures, clips, thumbnails)
# lives there instead of under MEDIA_ROOT: django-storages' S3 storage, any S3-compatible server
# (AWS S3, MinIO, Ceph, R2...). Web servers and workers then share no folder: pages hand out
# short-lived signed URLs after the owner check, browsers upload large files straight to the bucket,
# and each worker works in its own scratch folder (jobs.storage, jobs.pipeline.scratch). The names
# are django-storages' and boto3's own; without keys boto3's usual chain (an instance role) is used.
AWS_STORAGE_BUCKET_NAME = env.string("AWS_STORAGE_BUCKET_NAME")
LECTERN_OBJECT_STORAGE = bool(AWS_STORAGE_BUCKET_NAME)
AWS_S3_ENDPOINT_URL = env.string("AWS_S3_ENDPOINT_URL")
AWS_S3_REGION_NAME = env.string("AWS_S3_REGION_NAME")
AWS_ACCESS_KEY_ID = env.string("AWS_ACCESS_KEY_ID")
AWS_SECRET_ACCESS_KEY = env.string("AWS_SECRET_ACCESS_KEY")
# "path" for most self-hosted servers (MinIO); "virtual" or "auto" (empty) for AWS.
AWS_S3_ADDRESSING_STYLE = env.string("AWS_S3_ADDRESSING_STYLE")
if AWS_S3_ADDRESSING_STYLE not in ("", "auto", "path", "virtual"):
    raise ImproperlyConfigured(
        f"AWS_S3_ADDRESSING_STYLE must be auto, path or virtual, got {AWS_S3_ADDRESSING_STYLE!r}"
    )
# The endpoint as browsers reach it, when it differs from the servers' (compose: http://minio:9000
# inside, http://127.0.0.1:9000 outside). Signed URLs are signed for this host.
LECTERN_S3_PUBLIC_ENDPOINT_URL = env.string("LECTERN_S3_PUBLIC_ENDPOINT_URL")
# How long a signed download or upload URL is valid (seconds). A player that seeks after this asks
# the page again for a fresh one.
LECTERN_SIGNED_URL_SECONDS = env.integer("LECTERN_SIGNED_URL_SECONDS", 600, minimum=10)
# Direct uploads larger than this go in parts (S3 multipart), one signed URL a part.
LECTERN_MULTIPART_PART_MB = env.integer("LECTERN_MULTIPART_PART_MB", 64, minimum=5)
# A direct upload not turned into a job within this time is removed from the bucket by the sweeper.
LECTERN_UPLOAD_ABANDON_SECONDS = env.integer("LECTERN_UPLOAD_ABANDON_SECONDS", 86400, minimum=60)
if LECTERN_OBJECT_STORAGE:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL or None,
            "region_name": AWS_S3_REGION_NAME or None,
            "access_key": AWS_ACCESS_KEY_ID or None,
            "secret_key": AWS_SECRET_ACCESS_KEY or None,
            "addressing_style": AWS_S3_ADDRESSING_STYLE or None,
            "signature_version": "s3v4",
            "querystring_expire": LECTERN_SIGNED_URL_SECONDS,
            "file_overwrite": True,  # a job's names are its own; a retry replaces its files
            "default_acl": None,  # private: the bucket's own policy, never public-read
        },
    }
# Each worker's own working folder for a job on object storage (fetched media, audio, pictures and
# clips before they are uploaded); emptied when the job ends. Local, never shared.
LECTERN_SCRATCH_DIR = Path(env.string("LECTERN_SCRATCH_DIR", "") or DATA_DIR / "scratch").resolve()

# Uploads stream to disk in chunks; the limit is enforced while they arrive (jobs.intake.uploads).
MAX_UPLOAD_MB = env.integer("LECTERN_MAX_UPLOAD_MB", 2048, minimum=1)
# Counted on the decoded audio: a header that declares no length (or a false one) changes nothing.
MAX_DURATION_MINUTES = env.integer("LECTERN_MAX_DURATION_MINUTES", 240, minimum=1)
# A video frame's width x height, as probed; larger videos are refused. 4096x2160 (4K) by default;
# at most 7680x4320 (8K), the bound every decoder here works under (transcripts.media).
MAX_VIDEO_PIXELS = env.integer("LECTERN_MAX_VIDEO_PIXELS", 4096 * 2160, minimum=64 * 64)
if MAX_VIDEO_PIXELS > 7680 * 4320:
    raise ImproperlyConfigured("LECTERN_MAX_VIDEO_PIXELS may be at most 33177600 (7680x4320, 8K)")
# Links (and webhooks) reach only public addresses; these hosts or CIDRs are allowed as well (an
# intranet video server, or 127.0.0.1 in tests), each on ports 80 and 443 unless it names its port:
# host:8000, or host:* for any port (jobs.intake.urlsafety.Allowlist).
URL_ALLOWLIST = env.strings("LECTERN_URL_ALLOWLIST")
try:
    from jobs.intake.urlsafety import Allowlist  # plain Python: no app is loaded by this

    Allowlist.parse(URL_ALLOWLIST)
except ValueError as _exc:
    raise ImproperlyConfigured(f"LECTERN_URL_ALLOWLIST: {_exc}") from None
# Wall time for downloading one link (bytes are bounded by MAX_UPLOAD_MB); live streams are refused.
MAX_DOWNLOAD_MINUTES = env.integer("LECTERN_MAX_DOWNLOAD_MINUTES", 30, minimum=1)
MAX_BATCH = env.integer("LECTERN_MAX_BATCH", 20, minimum=1)
# Queued and running jobs one person may have at a time (the page, the API and the OpenAI-compatible
# endpoint refuse more, batches whole); workers take jobs fairly between people besides
# (jobs.selectors.fair_queue). As many as one full batch by default.
MAX_ACTIVE_JOBS_PER_USER = env.integer("LECTERN_MAX_ACTIVE_JOBS_PER_USER", 20, minimum=1)
# All files of one request together (a batch); enforced while it streams, like the per-file limit.
MAX_REQUEST_MB = env.integer("LECTERN_MAX_REQUEST_MB", 2 * MAX_UPLOAD_MB, minimum=1)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Uploads in progress; files a killed web process left behind are swept away (jobs.intake.uploads).
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "uploads")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(mode=0o700, exist_ok=True)
FILE_UPLOAD_HANDLERS = ["jobs.intake.uploads.LimitedTemporaryFileUploadHandler"]
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Email -----------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = "Lectern <lectern@localhost>"
globals().update(env.email_settings("EMAIL_URL"))

# --- Transcription -------------------------------------------------------------------------------
# ``LECTERN_MODEL``: base (default, bundled), tiny.en (bundled), a CTranslate2 model directory, or a
# faster-whisper model name when a model hub is reachable.
LECTERN_MODEL = env.string("LECTERN_MODEL", "base")
LECTERN_BACKEND = env.string("LECTERN_BACKEND")
LECTERN_THREADS = env.integer("LECTERN_THREADS", 0, minimum=0)  # 0: all cores
LECTERN_BEAM_SIZE = env.integer("LECTERN_BEAM_SIZE", 5, minimum=1)
LECTERN_VAD = env.boolean("LECTERN_VAD", True)
LECTERN_DEVICE = env.string("LECTERN_DEVICE", "auto")
# whisper.cpp: a ggml model file (a path, or a name in pywhispercpp's models folder).
WHISPER_CPP_MODEL = env.string("WHISPER_CPP_MODEL")
# mlx-whisper on Apple Silicon: a local folder or an mlx-community model name (default: from
# LECTERN_MODEL).
MLX_WHISPER_MODEL = env.string("MLX_WHISPER_MODEL")
# The OpenAI API (or any compatible server) when a key is set.
OPENAI_API_KEY = env.string("OPENAI_API_KEY")
OPENAI_BASE_URL = env.string("OPENAI_BASE_URL")
OPENAI_TRANSCRIBE_MODEL = env.string("OPENAI_TRANSCRIBE_MODEL", "whisper-1")
OPENAI_TIMEOUT = env.number("OPENAI_TIMEOUT", 300, minimum=1)
# Slides: OCR with Tesseract at each slide change; their rare terms become a glossary prompt for
# transcription. Without the tesseract program the step is skipped with a note on the job.
LECTERN_TESSERACT = env.string("LECTERN_TESSERACT", "tesseract")
LECTERN_SLIDE_PROMPT = env.boolean("LECTERN_SLIDE_PROMPT", True)
# Highlight clips.
HIGHLIGHTS = {
    # At most this many clips, one a stand-out moment; together at most LECTERN_CLIP_SHARE of
    # the lecture (issue 26: highlights are moments, not chapters).
    "count": env.integer("LECTERN_CLIP_COUNT", 12, minimum=0),
    "min_length": env.number("LECTERN_CLIP_MIN_SECONDS", 20, minimum=5),
    "max_length": env.number("LECTERN_CLIP_MAX_SECONDS", 60, minimum=10),
    "share": env.number("LECTERN_CLIP_SHARE", 0.25, minimum=0.01),
    # Pauses inside a clip longer than this are cut down.
    "max_pause": env.number("LECTERN_CLIP_MAX_PAUSE", 0.8, minimum=0.1),
    "min_silence": env.number("LECTERN_MIN_SILENCE", 0.5, minimum=0.1),
}
if HIGHLIGHTS["min_length"] >= HIGHLIGHTS["max_length"]:
    raise ImproperlyConfigured(
        "LECTERN_CLIP_MIN_SECONDS must be less than LECTERN_CLIP_MAX_SECONDS"
    )
# Content analysis with Gemini when a key is set; the local analyser otherwise (and on failure).
GEMINI = {
    "api_key": env.string("GEMINI_API_KEY"),
    "base_url": env.string("GEMINI_BASE_URL"),
    "model": env.string("GEMINI_MODEL"),
}
# Answers to questions about lectures from a language model, grounded in the passages found:
# "gemini" (GEMINI_API_KEY), "openai" (any OpenAI-compatible chat server: Ollama, llama.cpp's
# server, vLLM), or "none" (passages only, the offline default). Unset: gemini when a Gemini key is
# set, openai when LECTERN_LLM_BASE_URL is, else none.
LECTERN_LLM_BASE_URL = env.string("LECTERN_LLM_BASE_URL")
LECTERN_LLM = env.string("LECTERN_LLM") or (
    "gemini" if GEMINI["api_key"] else "openai" if LECTERN_LLM_BASE_URL else "none"
)
if LECTERN_LLM not in ("gemini", "openai", "none"):
    raise ImproperlyConfigured("LECTERN_LLM must be gemini, openai or none.")
LECTERN_LLM_API_KEY = env.string("LECTERN_LLM_API_KEY")  # openai: the chat server's key, if any
LECTERN_LLM_MODEL = env.string("LECTERN_LLM_MODEL")  # gemini: GEMINI_MODEL or gemini-2.5-flash
LECTERN_LLM_TIMEOUT = env.number("LECTERN_LLM_TIMEOUT", 30, minimum=1)
# Model answers a day per user; past it a question gets the passages alone.
LECTERN_LLM_ANSWERS_PER_DAY = env.integer("LECTERN_LLM_ANSWERS_PER_DAY", 100, minimum=0)
# Study notes written by that model too (one request a job; off: extractive notes, offline).
LECTERN_LLM_NOTES = env.boolean("LECTERN_LLM_NOTES", False)
# Minutes a month each user may send to a metered backend (OpenAI); staff can set it per user.
METERED_MINUTES_QUOTA = env.integer("LECTERN_METERED_MINUTES_QUOTA", 600, minimum=0)
# Who may send how many minutes to a metered backend: a dotted path, so that transcripts/ needs
# nothing from jobs/ (a test names its own).
LECTERN_QUOTA_CHECK = "jobs.accounts.usage.check_metered_quota"

# --- Security --------------------------------------------------------------------------------------
HTTPS = env.boolean("LECTERN_HTTPS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env.boolean("LECTERN_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env.integer("LECTERN_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Preloading (hstspreload.org) commits the domain and all its subdomains to HTTPS in browsers, and
# is slow to undo: an explicit opt-in. Django's deploy check asks for it (security.W021); off, that
# question is answered here, so the warning is silenced.
SECURE_HSTS_PRELOAD = HTTPS and env.boolean("LECTERN_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
BEHIND_PROXY = env.boolean("LECTERN_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers and Prometheus probe these over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

# --- Operations (jobs.ops.views) -------------------------------------------------------------------------
# /metrics asks for ``Authorization: Bearer <token>`` when this is set, and is open otherwise.
LECTERN_METRICS_TOKEN = env.string("LECTERN_METRICS_TOKEN")
# /healthz fails when the media volume has less free space than this.
LECTERN_MIN_FREE_DISK_MB = env.integer("LECTERN_MIN_FREE_DISK_MB", 1024, minimum=0)

# --- Cache -----------------------------------------------------------------------------------------
# Rate-limit and sign-in counters live here, shared by every web process: in Redis when REDIS_URL
# is set, in the database otherwise (a table made by ``migrate``; jobs.ops.dbcache counts atomically).
# Never per process: with N web processes a per-process counter allows N times the limit.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "jobs.ops.dbcache.AtomicDatabaseCache",
            "LOCATION": "lectern_cache",
            # Culling (default past 300 rows) would drop live counters; expired ones go first.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    )
    | {"KEY_PREFIX": "lectern"}
}

# --- API and webhooks (jobs.api.views, jobs.api.webhooks) -----------------------------------------------------
LECTERN_API_RATE_PER_MINUTE = env.integer("LECTERN_API_RATE_PER_MINUTE", 60, minimum=1)
LECTERN_API_USER_RATE_PER_MINUTE = env.integer("LECTERN_API_USER_RATE_PER_MINUTE", 120, minimum=1)
LECTERN_WEBHOOK_MAX_ATTEMPTS = env.integer("LECTERN_WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
# Attempt n+1 waits base * 2**(n-1) seconds: 30 s, 1 min, 2 min, 4 min, 8 min by default.
LECTERN_WEBHOOK_BACKOFF_SECONDS = env.number("LECTERN_WEBHOOK_BACKOFF_SECONDS", 30, minimum=0)
LECTERN_WEBHOOK_TIMEOUT = env.number("LECTERN_WEBHOOK_TIMEOUT", 10, minimum=1)
# The OpenAI-compatible /v1/audio/ endpoints (jobs.api.openai) wait this long for their job before
# answering 504 with the job's page; under the openai SDK's own 600 s timeout, so the client hears why.
LECTERN_OPENAI_WAIT_SECONDS = env.number("LECTERN_OPENAI_WAIT_SECONDS", 540, minimum=1)
# A waiting request holds a web thread (jobs.api.waits): at most this many wait at once in one web
# process (keep it below gunicorn's --threads, 4 under `serve` and the image, so the rest answer
# pages), per API key and per user (shared by every web process); past a cap, 429 + Retry-After.
LECTERN_OPENAI_WAITS_PER_PROCESS = env.integer("LECTERN_OPENAI_WAITS_PER_PROCESS", 2, minimum=1)
LECTERN_OPENAI_WAITS_PER_KEY = env.integer("LECTERN_OPENAI_WAITS_PER_KEY", 2, minimum=1)
LECTERN_OPENAI_WAITS_PER_USER = env.integer("LECTERN_OPENAI_WAITS_PER_USER", 4, minimum=1)

# --- Logging ---------------------------------------------------------------------------------------
# ``LECTERN_LOG_FORMAT=json`` writes one JSON object a line; records from a job carry its id.
LOG_FORMAT = env.string("LECTERN_LOG_FORMAT", "plain").lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LECTERN_LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"job": {"()": "jobs.ops.logs.JobContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s%(job_tag)s %(message)s"},
        "json": {"()": "jobs.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["job"]}
    },
    "root": {"handlers": ["console"], "level": env.string("LECTERN_LOG_LEVEL", "INFO")},
    "loggers": {
        "faster_whisper": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}
# Emails for the console (no EMAIL_URL) go into the JSON log as one record each, not as raw lines.
if LOG_FORMAT == "json" and EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":  # noqa: F821
    EMAIL_BACKEND = "jobs.ops.mail.LogEmailBackend"
