#!/usr/bin/env bash
# Load test of the family journey (issue 3). One command, from the repository:
#
#   tests/benchmarks/run_journey_load.sh          (or: make bench-journey)
#
# 1. creates a fresh PostgreSQL database, $BENCH_DB (phasetransfer_bench), on
#    127.0.0.1:5432 as user postgres (trust auth), and migrates it;
# 2. seeds the Kent demo with a small synthetic Year 6 -> 7 cohort and one parent
#    account per simulated user (seed_journey_users.py);
# 3. collects static files and starts gunicorn ($WORKERS workers) with production
#    settings (DEBUG=false), plain http on 127.0.0.1:$PORT;
# 4. runs locust headless: $USERS users, $SPAWN_RATE started a second, for $DURATION,
#    each walking the journey with 1-3 s between pages (locust_journey.py);
# 5. prints p50/p95/p99 and the error rate per page and in total (also written to
#    var/bench/journey_report.md, raw figures in var/bench/journey_*.csv), and stops
#    gunicorn.
#
# Override any of USERS, SPAWN_RATE, DURATION, WORKERS, PORT, BENCH_DB, CHILDREN and
# JOURNEY_WAIT ("min,max" seconds between pages) in the environment. Exits non-zero if
# any request failed. Not part of make test.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
OUT=$ROOT/var/bench

USERS=${USERS:-50}
SPAWN_RATE=${SPAWN_RATE:-10}
DURATION=${DURATION:-60s}
WORKERS=${WORKERS:-4}
PORT=${PORT:-8765}
BENCH_DB=${BENCH_DB:-phasetransfer_bench}
CHILDREN=${CHILDREN:-300}
PG=(-h 127.0.0.1 -p 5432 -U postgres)
# Other work on the machine skews the figures: the report shows how busy it was.
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

# shellcheck source=tests/benchmarks/load_common.sh
source tests/benchmarks/load_common.sh
bench_settings "$BENCH_DB"
# The embedded file-system broker: the journey's pages under test send no task or email.
unset REDIS_URL

bench_preflight "$PORT"
rm -f "$OUT"/journey_*.csv "$OUT/journey_report.md"
bench_fresh_database "$BENCH_DB"
"$BIN/python" tests/benchmarks/seed_journey_users.py \
  --users "$USERS" --children "$CHILDREN" --out "$OUT/journey_users.json"
gunicorn_start "$PORT" "$WORKERS"

echo "== locust: $USERS users, $SPAWN_RATE/s, $DURATION"
status=0
JOURNEY_USERS_FILE=$OUT/journey_users.json JOURNEY_REPORT_FILE=$OUT/journey_report.md \
  "$BIN/locust" -f tests/benchmarks/locust_journey.py --headless --only-summary \
  -u "$USERS" -r "$SPAWN_RATE" -t "$DURATION" --host "http://127.0.0.1:$PORT" \
  --csv "$OUT/journey" --loglevel WARNING >"$OUT/locust.log" 2>&1 || status=$?

cat <<REPORT

## Journey load test, $(date -u +"%Y-%m-%d %H:%M UTC")

$(bench_machine "$WORKERS")
Load: $USERS users (started $SPAWN_RATE a second) for $DURATION, ${JOURNEY_WAIT:-1,3} s between pages.
Load average (1, 5, 15 min) when the script started, before its own work: $LOAD_AT_START.

REPORT
if [[ -s $OUT/journey_report.md ]]; then
  cat "$OUT/journey_report.md"
else
  echo "locust wrote no report; its log:" >&2
  cat "$OUT/locust.log" >&2
fi
if [[ $status -ne 0 ]]; then
  echo "Some requests failed (locust exit status $status); see $OUT/locust.log and $OUT/gunicorn.log" >&2
fi
exit "$status"
