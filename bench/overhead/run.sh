#!/usr/bin/env bash
# Quick framework-overhead measure: the app and its raw baseline under gunicorn (2 sync workers each), wrk on
# each page in turn, same machine, same run. Needs DATABASE_URL (demo data), REDIS_URL, SECRET_KEY, PUBLIC_URL.
# Usage: bench/overhead/run.sh [rounds] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SECONDS_PER_PAGE=${2:-8}
OUT=${OVERHEAD_OUT:-instance/overhead}
APP_PORT=${APP_PORT:-8101}
RAW_PORT=${RAW_PORT:-8102}
export APP_ENV=production MAIL_BACKEND=${MAIL_BACKEND:-log} OVERHEAD_PAGES="$OUT/pages.pickle"
mkdir -p "$OUT"
.venv/bin/python -m bench.overhead.capture "$OUT" 2>/dev/null
.venv/bin/gunicorn -w 2 -b 127.0.0.1:$APP_PORT --log-level warning wsgi:app 2>"$OUT/app.log" &
APP_PID=$!
.venv/bin/gunicorn -w 2 -b 127.0.0.1:$RAW_PORT --log-level warning bench.overhead.raw_app:app 2>"$OUT/raw.log" &
RAW_PID=$!
trap 'kill $APP_PID $RAW_PID 2>/dev/null; wait 2>/dev/null' EXIT
sleep 4
rps() {  # url [cookie]
  local header=()
  [ -n "${2:-}" ] && header=(-H "Cookie: $2")
  wrk -c 8 -t 2 -d "${SECONDS_PER_PAGE}s" "${header[@]}" "$1" | awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "NON2XX:" $4 > "/dev/stderr"}'
}
.venv/bin/python - "$OUT/pages.pickle" > "$OUT/pages.tsv" <<'PY'
import pickle, sys
for page in pickle.load(open(sys.argv[1], "rb")):
    print(f"{page['name']}\t{page['path']}\t{page['cookie'] or ''}")
PY
for round in $(seq "$ROUNDS"); do
  while IFS=$'\t' read -r name path cookie; do
    curl -s -o /dev/null -H "Cookie: $cookie" "http://127.0.0.1:$APP_PORT$path"  # warm
    curl -s -o /dev/null "http://127.0.0.1:$RAW_PORT$path"
    app=$(rps "http://127.0.0.1:$APP_PORT$path" "$cookie")
    raw=$(rps "http://127.0.0.1:$RAW_PORT$path")
    printf '%s\tround %s\tapp %8.1f req/s\traw %8.1f req/s\tratio %.2f\n' "$name" "$round" "$app" "$raw" \
      "$(echo "$app / $raw" | bc -l)"
  done < "$OUT/pages.tsv"
done
