#!/usr/bin/env bash
# Quick framework-overhead measure: the app and its raw baseline (bench/overhead/raw_app.py) under gunicorn, 2 sync
# workers each, wrk on each page in turn, same machine, same run. With BEFORE_DIR (an unpacked older commit, e.g.
# `git archive main | tar -x -C /tmp/before`), that code is served and measured in the same run too.
# Needs the production settings: DATABASE_URL (demo data), REDIS_URL, SECRET_KEY, PUBLIC_URL.
# Usage: bench/overhead/run.sh [rounds] [seconds per page]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SECONDS_PER_PAGE=${2:-8}
OUT=${OVERHEAD_OUT:-instance/overhead}
APP_PORT=${APP_PORT:-8101}
RAW_PORT=${RAW_PORT:-8102}
BEFORE_PORT=${BEFORE_PORT:-8103}
export APP_ENV=production MAIL_BACKEND=${MAIL_BACKEND:-log}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export OVERHEAD_PAGES="$OUT/pages.pickle"
.venv/bin/python -m bench.overhead.capture "$OUT" 2>/dev/null
PIDS=()
serve() {  # port dir app
  .venv/bin/gunicorn -w 2 -b "127.0.0.1:$1" --chdir "$2" --log-level warning "$3" 2>>"$OUT/gunicorn.log" &
  PIDS+=($!)
}
serve "$APP_PORT" "$PWD" wsgi:app
serve "$RAW_PORT" "$PWD" bench.overhead.raw_app:app
[ -n "${BEFORE_DIR:-}" ] && serve "$BEFORE_PORT" "$BEFORE_DIR" wsgi:app
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
first_path=$(.venv/bin/python -c 'import pickle, sys; print(pickle.load(open(sys.argv[1], "rb"))[0]["path"])' "$OVERHEAD_PAGES")
for port in "$APP_PORT" "$RAW_PORT" ${BEFORE_DIR:+"$BEFORE_PORT"}; do  # workers boot slowly on a busy machine
  until curl -sf -o /dev/null "http://127.0.0.1:$port$first_path"; do sleep 1; done
done
rps() {  # url [cookie]: requests per second; any non-2xx answer is reported on stderr
  local header=()
  [ -n "${2:-}" ] && header=(-H "Cookie: $2")
  wrk -c 8 -t 2 -d "${SECONDS_PER_PAGE}s" "${header[@]}" "$1" |
    awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "non-2xx answers: " $NF > "/dev/stderr"}'
}
.venv/bin/python - "$OUT/pages.pickle" > "$OUT/pages.tsv" <<'PY'
import pickle, sys
for page in pickle.load(open(sys.argv[1], "rb")):
    print(f"{page['name']}\t{page['path']}\t{page['cookie'] or ''}")
PY
for round in $(seq "$ROUNDS"); do
  while IFS=$'\t' read -r name path cookie; do
    for port in "$APP_PORT" "$RAW_PORT" ${BEFORE_DIR:+"$BEFORE_PORT"}; do
      curl -s -o /dev/null -H "Cookie: $cookie" "http://127.0.0.1:$port$path"  # warm
    done
    app=$(rps "http://127.0.0.1:$APP_PORT$path" "$cookie")
    raw=$(rps "http://127.0.0.1:$RAW_PORT$path")
    line=$(printf '%-16s round %s  app %7.1f req/s  raw %7.1f req/s  app/raw %.2f' "$name" "$round" "$app" "$raw" \
      "$(echo "$app / $raw" | bc -l)")
    if [ -n "${BEFORE_DIR:-}" ]; then
      before=$(rps "http://127.0.0.1:$BEFORE_PORT$path" "$cookie")
      line+=$(printf '  before %7.1f req/s  before/raw %.2f' "$before" "$(echo "$before / $raw" | bc -l)")
    fi
    echo "$line"
  done < "$OUT/pages.tsv"
done
