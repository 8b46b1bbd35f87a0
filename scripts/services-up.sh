#!/usr/bin/env bash
# Exit 0 when PostgreSQL and Redis answer, 1 (with the reason on stderr) when either does not.
#   scripts/services-up.sh [POSTGRES_URL] [REDIS_URL]
# Defaults: postgres://postgres@127.0.0.1:5432/postgres and redis://127.0.0.1:6379/15.
# A real login and PING, not just an open port: a server that accepts connections but refuses us is
# as good as down. Needs the project's virtual environment (psycopg and redis come from uv.lock).
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
pg_url=${1:-postgres://postgres@127.0.0.1:5432/postgres}
redis_url=${2:-redis://127.0.0.1:6379/15}

exec "$UV" run --frozen --no-sync python - "$pg_url" "$redis_url" <<'PY'
import sys

import psycopg
import redis

pg_url, redis_url = sys.argv[1:3]
problems = []
try:
    with psycopg.connect(pg_url, connect_timeout=3) as conn:
        conn.execute("SELECT 1")
except Exception as exc:
    problems.append(f"PostgreSQL at {pg_url}: {type(exc).__name__}: {str(exc).strip()}")
try:
    redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3).ping()
except Exception as exc:
    problems.append(f"Redis at {redis_url}: {type(exc).__name__}: {exc}")
for problem in problems:
    print(problem, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
