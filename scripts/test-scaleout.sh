#!/usr/bin/env bash
# The second half of `make test`: the database- and queue-sensitive tests (pytest marker
# `scaleout`, see tests/conftest.py) again, on PostgreSQL + Redis instead of SQLite + the ORM broker.
#
# When the services do not answer, the run is skipped with a note, unless CI=true, where that is an
# error. Every run gets its own database (pytest-django creates and drops test_<name>), Redis keys
# and django-q2 queue name, so that runs side by side on one machine never meet.
#   LECTERN_TEST_POSTGRES  server URL without a database (default postgres://postgres@127.0.0.1:5432)
#   LECTERN_TEST_REDIS_URL Redis URL with a database index (default redis://127.0.0.1:6379/15)
# Extra arguments go to pytest: scripts/test-scaleout.sh tests/pipeline -x
set -euo pipefail
cd "$(dirname "$0")/.."
export UV=${UV:-uv}
pg=${LECTERN_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
pg=${pg%/}
redis_url=${LECTERN_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}

if ! problems=$(scripts/services-up.sh "$pg/postgres" "$redis_url" 2>&1); then
  if [ "${CI:-}" = "true" ]; then
    echo "error: CI=true, but PostgreSQL + Redis do not answer, so the scale-out tests cannot run:" >&2
    echo "$problems" >&2
    exit 1
  fi
  echo "note: PostgreSQL + Redis do not answer; skipping the scale-out run (an error with CI=true)."
  echo "$problems" | sed 's/^/  /'
  exit 0
fi

run_id="$(date +%Y%m%d%H%M%S)_$$_${RANDOM}"
name="lectern_scaleout_${run_id}"  # pytest-django works in test_${name}
queue="lectern-test-${run_id}"

cleanup() {
  # pytest-django drops its database when it ends normally; this covers an interrupted run.
  "$UV" run --frozen --no-sync python - "$pg/postgres" "test_${name}" "$redis_url" "$queue" <<'PY' || true
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
}
trap cleanup EXIT

echo "Scale-out run: PostgreSQL ($pg/test_${name}) + Redis ($redis_url, queue ${queue})"
DATABASE_URL="$pg/$name" REDIS_URL="$redis_url" LECTERN_QUEUE_NAME="$queue" \
  "$UV" run --frozen pytest -m scaleout "$@"
