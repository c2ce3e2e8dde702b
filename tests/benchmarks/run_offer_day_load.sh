#!/usr/bin/env bash
# Load test of SEN offer day (issue 9). One command, from the repository:
#
#   tests/benchmarks/run_offer_day_load.sh          (or: make bench-offer-day)
#
# 1. creates a fresh PostgreSQL database, $BENCH_DB (phasetransfer_bench_offer_day), on
#    127.0.0.1:5432 as user postgres (trust auth), and migrates it;
# 2. seeds $FAMILIES released cases, each with a parent's account (not signed in) and a
#    letter PDF rendered ahead (locust_offer_day.py);
# 3. collects static files and starts gunicorn ($WORKERS sync workers) with production
#    settings (DEBUG=false) on PostgreSQL and Redis ($REDIS_URL), plain http on
#    127.0.0.1:$PORT;
# 4. for each rate in $RATES (1 = every family within $WINDOW s, 5 = five times as fast),
#    runs locust headless: every family arrives once (a rush at the moment, then fewer),
#    signs in, opens its home page, its child's page, the outcome and the letter PDF;
# 5. prints p50/p95/p99 and the error rate per request (also in var/bench/offer_day_*x.md)
#    and stops gunicorn.
#
# Override FAMILIES, WINDOW, RATES, WORKERS, PORT, BENCH_DB, REDIS_URL.
# Exits non-zero if any request failed. Not part of make test.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
OUT=$ROOT/var/bench

FAMILIES=${FAMILIES:-3000}
WINDOW=${WINDOW:-300}
RATES=${RATES:-1 5}
WORKERS=${WORKERS:-4}
PORT=${PORT:-8766}
BENCH_DB=${BENCH_DB:-phasetransfer_bench_offer_day}
PG=(-h 127.0.0.1 -p 5432 -U postgres)
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

# shellcheck source=tests/benchmarks/load_common.sh
source tests/benchmarks/load_common.sh
bench_settings "$BENCH_DB"
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/12}

bench_preflight "$PORT"
rm -f "$OUT"/offer_day_*
bench_fresh_database "$BENCH_DB"
"$BIN/python" tests/benchmarks/locust_offer_day.py seed --families "$FAMILIES" \
  --out "$OUT/offer_day_users.json"
gunicorn_start "$PORT" "$WORKERS"

status=0
for rate in $RATES; do
  echo "== locust: $FAMILIES families at ${rate}x (all within $WINDOW s / $rate)"
  run_status=0
  OFFER_DAY_USERS_FILE=$OUT/offer_day_users.json OFFER_DAY_RATE=$rate OFFER_DAY_WINDOW=$WINDOW \
    OFFER_DAY_REPORT_FILE=$OUT/offer_day_${rate}x.md \
    "$BIN/locust" -f tests/benchmarks/locust_offer_day.py --headless --only-summary \
    --host "http://127.0.0.1:$PORT" --csv "$OUT/offer_day_${rate}x" --loglevel WARNING \
    >"$OUT/locust_${rate}x.log" 2>&1 || run_status=$?
  cat <<REPORT

## Offer day load test at ${rate}x, $(date -u +"%Y-%m-%d %H:%M UTC")

$(bench_machine "$WORKERS") \
Redis $(redis-cli -u "$REDIS_URL" info server 2>/dev/null | awk -F: '/^redis_version/ {print $2}' | tr -d '\r').
Load: $FAMILIES families, each signing in, all arriving within $WINDOW s / $rate in a rush \
that falls off linearly. Load average when the script started: $LOAD_AT_START.

REPORT
  if [[ -s $OUT/offer_day_${rate}x.md ]]; then
    cat "$OUT/offer_day_${rate}x.md"
  else
    echo "locust wrote no report; its log:" >&2
    cat "$OUT/locust_${rate}x.log" >&2
  fi
  [[ $run_status -eq 0 ]] || status=$run_status
done
if [[ $status -ne 0 ]]; then
  echo "Some requests failed (locust exit status $status); see $OUT/locust_*.log and $OUT/gunicorn.log" >&2
fi
exit "$status"
