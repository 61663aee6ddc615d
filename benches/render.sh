#!/usr/bin/env bash
# Rendered pages against plain HTTP fetches of the same testbed pages: pages/s, CPU per page
# (the crawler and every Chromium process it started), and the peak of the summed RSS of the
# crawler and its browser, for plain HTTP and for --render-all with 1 and 4 tabs per worker;
# the modes alternate run by run. Needs Chromium on PATH (Debian's `chromium`).
#
#   bash benches/render.sh
#
# Environment: HOSTS (1), PAGES per host (300), RUNS per mode (3).
# Release builds; everything listens on 127.0.0.1 only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

HOSTS=${HOSTS:-1}
PAGES=${PAGES:-300}
RUNS=${RUNS:-3}

CLI_FEATURES=browser
source benches/site.sh

# The summed RSS (KiB) of process $1 and all its descendants.
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
        for line in open(f'/proc/{p}/status'):
            if line.startswith('VmRSS:'):
                total += int(line.split()[1])
    except OSError:
        pass
    todo.extend(children.get(p, []))
print(total)
PY
}

# One crawl: $1 names it, the rest are extra flags.
crawl() {
  local name=$1 start end pid peak=0 rss
  shift
  start=$(date +%s.%N)
  timeout 900 /usr/bin/time -f "%U %S" -o "$WORK/time" "$BIN" -q crawl "${SEEDS[@]}" "$@" \
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
pages = sum(1 for line in open(path) if json.loads(line)["outcome"] == "fetched")
secs = float(end) - float(start)
print(f"{name:12} {pages} pages in {secs:.2f} s = {pages / secs:.0f} pages/s, "
      f"{(float(user) + float(system)) * 1000 / pages:.2f} ms CPU/page, "
      f"peak RSS (crawler + browser) {int(peak) / 1024:.0f} MiB")
PY
}

echo "# $HOSTS host(s) x $PAGES pages, -c 8, $RUNS runs per mode, interleaved"
for run in $(seq 1 "$RUNS"); do
  crawl http
  crawl render-1tab --render-all --tabs 1
  crawl render-4tabs --render-all --tabs 4
done
