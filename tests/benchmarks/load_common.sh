# Shared by the load tests (run_journey_load.sh, run_offer_day_load.sh): sourced, not run.
# The caller sets ROOT, BIN, OUT and PG first.

# Production settings, as gunicorn runs them, with the differences a bench on loopback
# needs: no SSL redirect (there is no TLS here; locust marks the Secure cookies sendable
# over http instead), a throwaway key, and the bench's own database, var and static folders.
bench_settings() {
  local database=$1
  export DEBUG=false
  export DEPLOYMENT=staging  # only the allow-list is emailed: the bench's families are invented
  SECRET_KEY=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(50))')
  export SECRET_KEY
  export ALLOWED_HOSTS=127.0.0.1
  export SECURE_SSL_REDIRECT=false
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$database"
  export PHASETRANSFER_VAR_DIR=$OUT/var
  export STATIC_ROOT=$OUT/staticfiles
  export LOG_LEVEL=WARNING
  unset EMAIL_HOST
}

# PostgreSQL must answer and the port must be free.
bench_preflight() {
  local port=$1
  if ! pg_isready "${PG[@]}" -q; then
    echo "PostgreSQL is not answering on 127.0.0.1:5432: start it (see .ci/run)." >&2
    exit 1
  fi
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "Something is already listening on port $port: set PORT to a free one." >&2
    exit 1
  fi
  mkdir -p "$OUT"
}

bench_fresh_database() {
  local database=$1
  echo "== Fresh database $database"
  dropdb "${PG[@]}" --if-exists --force "$database"
  createdb "${PG[@]}" "$database"
  "$BIN/python" manage.py migrate --no-input -v0
}

# Starts gunicorn on 127.0.0.1:$1 with $2 sync workers, stops it when the script exits,
# and warms every worker (imports, templates, database connection) before measuring.
gunicorn_start() {
  local port=$1 workers=$2
  "$BIN/python" manage.py collectstatic --no-input -v0
  echo "== gunicorn, $workers workers, on 127.0.0.1:$port"
  "$BIN/gunicorn" phasetransfer.config.wsgi --bind "127.0.0.1:$port" --workers "$workers" \
    --backlog 4096 --error-logfile "$OUT/gunicorn.log" --log-level warning &
  GUNICORN_PID=$!
  trap gunicorn_stop EXIT
  for _ in $(seq 60); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/" && break
    kill -0 "$GUNICORN_PID" 2>/dev/null || { cat "$OUT/gunicorn.log" >&2; exit 1; }
    sleep 0.5
  done
  for _ in $(seq $((workers * 4))); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/sign-in/"
  done
}

gunicorn_stop() {
  kill -TERM "$GUNICORN_PID" 2>/dev/null || true
  wait "$GUNICORN_PID" 2>/dev/null || true
}

# One line on what the figures were measured with.
bench_machine() {
  local workers=$1
  echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), \
$(free -g | awk '/^Mem:/ {print $2}') GB RAM; PostgreSQL $(psql "${PG[@]}" -tAc 'show server_version' | cut -d' ' -f1), \
Python $("$BIN/python" -c 'import platform; print(platform.python_version())'), \
gunicorn $("$BIN/python" -c 'import gunicorn; print(gunicorn.__version__)') with $workers sync workers, \
locust $("$BIN/locust" --version 2>&1 | awk '{print $2}') on the same machine."
}
