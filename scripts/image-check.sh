#!/usr/bin/env bash
# The image check (`make image-check`; not part of `make test`): build the Dockerfile with podman
# from a bare Debian 12 made by debootstrap, then run it as compose.yaml does, against PostgreSQL
# and Redis on 127.0.0.1 and an S3 server (moto's), and finish a real job in it.
#
#   1. The debootstrap root file system of the fresh-machine check (var/fresh/, made if missing) is
#      imported as an image, and a small base is built on it: python3, python3-venv and
#      ca-certificates from Debian (what python:3.11-slim-bookworm has).
#   2. `podman build --build-arg PYTHON_IMAGE=<that base>` of a clean clone of HEAD.
#   3. The services of compose.yaml, by hand with the same commands and environment (their images,
#      postgres, redis and minio, come from registries this check does not assume): a database of
#      its own on PostgreSQL at 127.0.0.1, Redis at 127.0.0.1 (a queue name of its own), moto's S3
#      server on 127.0.0.1 for the bucket; `migrate` once, then `web` (gunicorn) and `worker`
#      (manage.py work) in containers on the host network, with LECTERN_LOG_FORMAT=json.
#   4. /healthz must answer 200, a job (../shared/media/jfk.wav) sent through the API must end
#      done with its transcript, and every log line of web and worker must be a JSON object.
#
# Needs root, podman (with runc where crun cannot run: IMAGE_CHECK_RUNTIME), git, curl, debootstrap,
# PostgreSQL (as user postgres, no password) and Redis on 127.0.0.1, and the project's .venv (for
# moto_server, psycopg and redis). Everything it starts is stopped and its database dropped at the end.
#   IMAGE_CHECK_KEEP=1  keep the containers, the database and the image store afterwards
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
release=${FRESH_RELEASE:-bookworm}
tarball="$repo/var/fresh/$release-minbase.tar"
state="$repo/var/image-check"
runtime=${IMAGE_CHECK_RUNTIME:-runc}
pg=${LECTERN_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
pg=${pg%/}
redis_url=${LECTERN_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
py="$repo/.venv/bin/python"
run_id="$(date +%Y%m%d%H%M%S)_$$"
database="lectern_image_${run_id}"
queue="lectern-image-${run_id}"
tag="localhost/lectern:check"
base="localhost/lectern-python:$release"

# Its own image store (overlay), so that nothing of the host's podman is touched.
podman() {
  command podman --root "$state/storage" --runroot "$state/run" --storage-driver overlay \
    --runtime "$runtime" "$@"
}
# The sandbox this was written in refuses podman's default limits (RLIMIT_NPROC above ~32k);
# these are the host's own, capped.
nofile=$(ulimit -Hn)
limits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=30000:30000")

timings=()
current_phase=""
current_start=0
phase() {
  local name=$1 start=$SECONDS
  shift
  echo
  echo "=== $name"
  current_phase=$name current_start=$start
  "$@"
  current_phase=""
  local took=$((SECONDS - start))
  timings+=("$(printf '%-34s %5d s  (%dm%02ds)' "$name" "$took" $((took / 60)) $((took % 60)))")
  echo "=== $name: ${took} s"
}

work=$(mktemp -d "/tmp/lectern-image-check.XXXXXX")
moto_pid=""
containers=()
cleanup() {
  local status=$?
  set +e
  if [ "${IMAGE_CHECK_KEEP:-}" != "1" ]; then
    for name in "${containers[@]}"; do podman rm -f -t 5 "$name" >/dev/null 2>&1; done
    [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null
    "$py" - "$pg/postgres" "$database" "$redis_url" "$queue" <<'PY'
import sys

import psycopg
import redis

pg_url, database, redis_url, queue = sys.argv[1:5]
with psycopg.connect(pg_url, autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
client = redis.from_url(redis_url)
keys = list(client.scan_iter(match=f"django_q:{queue}:*"))
if keys:
    client.delete(*keys)
PY
    rm -rf "$work"
  else
    echo "kept: containers ${containers[*]}, database $database, moto pid $moto_pid, $work"
  fi
  echo
  if [ -n "${current_phase:-}" ]; then
    timings+=("$(printf '%-28s %5d s  (failed or stopped)' "$current_phase" $((SECONDS - current_start)))")
  fi
  echo "=== phase times"
  printf '  %s\n' "${timings[@]}"
  if [ "$status" -eq 0 ]; then echo "image check: PASSED"; else echo "image check: FAILED ($status)"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if [ ! -f "$tarball" ]; then
  phase "debootstrap $release" env FRESH_STEPS=rootfs bash scripts/fresh-machine.sh
fi

base_image() {
  podman import -q "$tarball" "localhost/debian-debootstrap:$release" >/dev/null
  mkdir -p "$work/base"
  # Where this machine reaches the registries through a TLS-inspecting proxy (SSL_CERT_FILE), the
  # base trusts its CA too; that is this network's business, not the Dockerfile's.
  local ca_steps=""
  if [ -n "${SSL_CERT_FILE:-}" ] && [ -f "$SSL_CERT_FILE" ]; then
    cp "$SSL_CERT_FILE" "$work/base/network-ca.crt"
    ca_steps="COPY network-ca.crt /usr/local/share/ca-certificates/network-ca.crt
RUN update-ca-certificates
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
  else
    touch "$work/base/network-ca.crt"
  fi
  cat >"$work/base/Containerfile" <<EOF
FROM localhost/debian-debootstrap:$release
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      python3 python3-venv ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
$ca_steps
EOF
  podman build --isolation chroot --network host "${limits[@]}" -t "$base" "$work/base"
}
phase "base image (debootstrap + python3)" base_image

build() {
  git clone -q "$repo" "$work/src"
  git -C "$work/src" log -1 --format='commit %H %s'
  podman build --isolation chroot --network host "${limits[@]}" \
    --build-arg "PYTHON_IMAGE=$base" -t "$tag" "$work/src"
  podman image ls "$tag"
}
phase "podman build (Dockerfile)" build

web_port=$(free_port)
s3_port=$(free_port)
secret=$("$py" -c 'import secrets; print(secrets.token_urlsafe(48))')
env_file="$work/env"
cat >"$env_file" <<EOF
DATABASE_URL=$pg/$database
REDIS_URL=$redis_url
LECTERN_QUEUE_NAME=$queue
DJANGO_SECRET_KEY=$secret
DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
LECTERN_BASE_URL=http://127.0.0.1:$web_port
LECTERN_DATA_DIR=/data
LECTERN_MEDIA_ROOT=/data/media
LECTERN_LOG_FORMAT=json
LECTERN_WORKERS=1
AWS_STORAGE_BUCKET_NAME=lectern
AWS_S3_ENDPOINT_URL=http://127.0.0.1:$s3_port
AWS_S3_REGION_NAME=us-east-1
AWS_S3_ADDRESSING_STYLE=path
AWS_ACCESS_KEY_ID=lectern
AWS_SECRET_ACCESS_KEY=lectern-secret
LECTERN_S3_PUBLIC_ENDPOINT_URL=http://127.0.0.1:$s3_port
EOF

services() {
  "$repo/.venv/bin/moto_server" -H 127.0.0.1 -p "$s3_port" >"$work/moto.log" 2>&1 &
  moto_pid=$!
  "$py" - "$pg/postgres" "$database" "$s3_port" <<'PY'
import sys
import time

import boto3
import psycopg

pg_url, database, port = sys.argv[1:4]
with psycopg.connect(pg_url, autocommit=True) as conn:
    conn.execute(f'CREATE DATABASE "{database}"')
s3 = boto3.client(
    "s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
    aws_access_key_id="lectern", aws_secret_access_key="lectern-secret",
)
for _ in range(100):
    try:
        s3.create_bucket(Bucket="lectern")
        break
    except Exception:
        time.sleep(0.2)
else:
    sys.exit("moto_server did not answer")
print(f"database {database} created; bucket lectern on moto at 127.0.0.1:{port}")
PY
}
phase "PostgreSQL database + moto S3 bucket" services

common=(--network host --init --env-file "$env_file" "${limits[@]}")
migrate() {
  # compose.yaml's `migrate` service.
  podman run --rm "${common[@]}" "$tag" python manage.py migrate --noinput | tail -n 3
}
phase "migrate (one-off container)" migrate

start() {
  # compose.yaml's `web` and `worker` services, with their commands.
  podman run -d --name "lectern-web-$run_id" "${common[@]}" "$tag" \
    gunicorn config.wsgi:application "--bind=127.0.0.1:$web_port" --workers=3 --threads=4 \
    --timeout=120 --access-logfile=- >/dev/null
  containers+=("lectern-web-$run_id")
  podman run -d --name "lectern-worker-$run_id" "${common[@]}" "$tag" \
    python manage.py work >/dev/null
  containers+=("lectern-worker-$run_id")
  local deadline=$((SECONDS + 120)) code=""
  until code=$(curl -s -o "$work/healthz.json" -w '%{http_code}' "http://127.0.0.1:$web_port/healthz") \
    && [ "$code" = "200" ]; do
    if [ "$SECONDS" -gt "$deadline" ]; then
      cat "$work/healthz.json" 2>/dev/null
      podman logs --tail 30 "lectern-web-$run_id"
      echo "error: /healthz answered ${code:-nothing} for 120 s" >&2
      return 1
    fi
    sleep 2
  done
  echo "/healthz: HTTP $code $(cat "$work/healthz.json")"
}
phase "web + worker up, /healthz 200" start

job() {
  local web="lectern-web-$run_id" key
  podman exec -e DJANGO_SUPERUSER_PASSWORD="$secret" "$web" \
    python manage.py createsuperuser --noinput --username imagecheck --email check@example.org >/dev/null
  key=$(podman exec "$web" python manage.py create_api_key imagecheck --name image-check 2>/dev/null \
    | tail -n 1)
  [ -n "$key" ] || { echo "error: no API key printed" >&2; return 1; }
  "$py" - "http://127.0.0.1:$web_port" "$key" "$repo/../shared/media/jfk.wav" <<'PY'
import json
import sys
import time
import urllib.request
import uuid
from pathlib import Path

base, key, media = sys.argv[1:4]
headers = {"Authorization": f"Bearer {key}"}
boundary = uuid.uuid4().hex
body = (
    f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="jfk.wav"\r\n'
    "Content-Type: audio/wav\r\n\r\n"
).encode() + Path(media).read_bytes() + f"\r\n--{boundary}--\r\n".encode()
request = urllib.request.Request(
    f"{base}/api/v1/jobs", data=body, method="POST",
    headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
)
with urllib.request.urlopen(request, timeout=60) as response:
    job = json.load(response)
job_id = job["id"]
print(f"job {job_id} created: {job['status']}")
deadline = time.monotonic() + 600
while True:
    with urllib.request.urlopen(urllib.request.Request(f"{base}/api/v1/jobs/{job_id}", headers=headers), timeout=30) as response:
        job = json.load(response)
    if job["status"] in {"succeeded", "failed", "cancelled"}:
        break
    if time.monotonic() > deadline:
        sys.exit(f"job still {job['status']} after 10 minutes")
    time.sleep(2)
print(f"job {job_id}: {job['status']}")
if job["status"] != "succeeded":
    sys.exit(f"job ended {job['status']}: {job.get('error')}")
with urllib.request.urlopen(urllib.request.Request(f"{base}/api/v1/jobs/{job_id}/transcript/txt", headers=headers), timeout=30) as response:
    text = response.read().decode()
print("transcript:", " ".join(text.split())[:200])
if "country" not in text.lower():
    sys.exit("the transcript of jfk.wav does not say 'country'")
PY
  # The job's files are in the bucket (web and worker share no folder).
  "$py" - "$s3_port" <<'PY'
import sys

import boto3

s3 = boto3.client(
    "s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
    aws_access_key_id="lectern", aws_secret_access_key="lectern-secret",
)
names = [item["Key"] for item in s3.list_objects_v2(Bucket="lectern").get("Contents", [])]
print(f"bucket: {len(names)} objects: {', '.join(sorted(names)[:8])}")
if not names:
    sys.exit("nothing in the bucket")
PY
}
phase "a job (jfk.wav) through the API" job

logs_are_json() {
  local name
  for name in "${containers[@]}"; do
    podman logs "$name" >"$work/$name.log" 2>&1
  done
  "$py" - "$work" "${containers[@]}" <<'PY'
import json
import sys
from pathlib import Path

work, *names = sys.argv[1:]
bad = 0
for name in names:
    lines = [line for line in Path(work, f"{name}.log").read_text().splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not an object")
            records.append(record)
        except ValueError:
            bad += 1
            print(f"  not JSON ({name}): {line[:200]}")
    with_job = sum(1 for record in records if record.get("job_id"))
    print(f"{name}: {len(lines)} log lines, {len(records)} JSON objects, {with_job} with a job_id")
    if not records:
        bad += 1
        print(f"  {name} wrote no log line at all")
if bad:
    sys.exit(f"{bad} log lines are not JSON objects")
PY
}
phase "log lines are JSON" logs_are_json
