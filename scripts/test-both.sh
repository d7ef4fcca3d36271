#!/usr/bin/env bash
# The whole suite on SQLite and on PostgreSQL at the same time, one per core: PostgreSQL's
# output streams here, SQLite's goes to test-artifacts/pytest-sqlite.log and is shown after.
# Each run has its own Redis database, since the rate-limit test empties the one it uses.
# The browser journeys run once, in the SQLite run: they drive the same pages on either
# database, and the PostgreSQL run, which is the longer one, has the concurrency tests.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}
mkdir -p test-artifacts
log=test-artifacts/pytest-sqlite.log

PORTAL_TEST_REDIS_URL=redis://127.0.0.1:6379/15 \
  "$BIN/pytest" -p no:cacheprovider --db=sqlite >"$log" 2>&1 &
sqlite=$!
trap 'kill "$sqlite" 2>/dev/null' INT TERM

PORTAL_TEST_REDIS_URL=redis://127.0.0.1:6379/14 \
  "$BIN/pytest" -p no:cacheprovider --db=postgresql --pg-url="$PG_URL" --ignore=tests/browser
postgres_status=$?

wait "$sqlite"
sqlite_status=$?
echo
echo "=== SQLite run (exit $sqlite_status) ==="
if [ "$sqlite_status" -eq 0 ]; then tail -n 3 "$log"; else cat "$log"; fi
echo "=== PostgreSQL run: exit $postgres_status ==="
[ "$sqlite_status" -eq 0 ] && [ "$postgres_status" -eq 0 ]
