#!/usr/bin/env bash
# Rendered pages against plain HTTP fetches of testbed pages: pages/s, CPU per page (the
# crawler and every Chromium process it started), the peak memory of the crawler and its
# browser (summed PSS), pages found and pages rendered. Two sites: plain HTML pages (HTTP, and
# --render-all with 1, 4 and 8 tabs per worker), and one where SHARE of the pages are
# written by a script (HTTP, which cannot see their links; --render-all; --render-adaptive).
# The modes alternate run by run. Needs Chromium on PATH (Debian's `chromium`).
#
#   bash benches/render.sh
#
# Environment: HOSTS (1), PAGES per host (200), RUNS per mode (3), SHARE of scripted pages
# on the second site (0.3).
# Release builds; everything listens on 127.0.0.1 only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

HOSTS=${HOSTS:-1}
PAGES=${PAGES:-200}
SHARE=${SHARE:-0.3}
RUNS=${RUNS:-3}

CLI_FEATURES=browser
source benches/site.sh

# The second site: SHARE of its pages are a script's shell.
SCRIPTED_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$TESTBED" --hosts "$HOSTS" --pages "$PAGES" --port "$SCRIPTED_PORT" --seconds 3000 \
  --script-pages "$SHARE" >"$WORK/scripted.log" 2>&1 &
SCRIPTED_PID=$!
trap 'kill $SCRIPTED_PID 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 200); do grep -q reachable "$WORK/scripted.log" && break; sleep 0.05; done
SCRIPTED=()
for h in $(seq 1 "$HOSTS"); do SCRIPTED+=("http://127.0.0.$h:$SCRIPTED_PORT/"); done

# The memory (KiB) of process $1 and all its descendants: the sum of their proportional set
# sizes (each shared page counted once across them, not once per process as RSS would).
tree_rss() {
  python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])
children = {}
for pid in os.listdir('/proc'):
    if not pid.isdigit():
        continue
    try:
        stat = open(f'/proc/{pid}/stat').read()
        ppid = int(stat.rsplit(')', 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(pid))
    except OSError:
        pass
total, todo = 0, [root]
while todo:
    p = todo.pop()
    try:
        for line in open(f'/proc/{p}/smaps_rollup'):
            if line.startswith('Pss:'):
                total += int(line.split()[1])
    except OSError:
        pass
    todo.extend(children.get(p, []))
print(total)
PY
}

# One crawl: $1 names it, $2 is the site (plain or scripted), the rest are extra flags.
crawl() {
  local name=$1 site=$2 start end pid peak=0 rss
  shift 2
  local seeds=("${SEEDS[@]}")
  [ "$site" = scripted ] && seeds=("${SCRIPTED[@]}")
  start=$(date +%s.%N)
  timeout 900 /usr/bin/time -f "%U %S" -o "$WORK/time" "$BIN" -q crawl "${seeds[@]}" "$@" \
    -o "$WORK/out.jsonl" --overwrite -c 8 --no-robots &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(tree_rss "$pid")
    [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 0.2
  done
  wait "$pid" || true
  end=$(date +%s.%N)
  python3 - "$name" "$WORK/out.jsonl" "$start" "$end" "$(tail -1 "$WORK/time")" "$peak" <<'PY'
import json, sys
name, path, start, end, times, peak = sys.argv[1:]
user, system = times.split()
records = [json.loads(line) for line in open(path)]
pages = sum(1 for r in records if r["outcome"] == "fetched")
rendered = sum(1 for r in records if r.get("rendered"))
secs = float(end) - float(start)
print(f"{name:20} {pages} pages ({rendered} rendered) in {secs:.2f} s = "
      f"{pages / secs:.1f} pages/s, {(float(user) + float(system)) * 1000 / pages:.2f} ms CPU/page, "
      f"peak memory (crawler + browser, PSS) {int(peak) / 1024:.0f} MiB")
PY
}

echo "# $HOSTS host(s) x $PAGES pages, -c 8, $RUNS runs per mode, interleaved;" \
  "scripted site: $SHARE of the pages"
for run in $(seq 1 "$RUNS"); do
  crawl plain/http plain
  crawl plain/render-1tab plain --render-all --tabs 1
  crawl plain/render-4tabs plain --render-all --tabs 4
  crawl plain/render-8tabs plain --render-all --tabs 8
  crawl scripted/http scripted
  crawl scripted/render-all scripted --render-all --tabs 4
  crawl scripted/adaptive scripted --render-adaptive --tabs 4
done
