#!/usr/bin/env bash
# Gazette's benchmark: builds the release binary, seeds SQLite databases with `gazette seed`
# (100 users and 10,000 posts; 1,000,000 posts for the growth figures), starts the server on
# each and drives it with wrk at 50 connections. Prints a Markdown table (also written to
# target/bench/report.md). Anyone can rerun it:
#
#   bash bench/run.sh                 # DURATION=10 seconds per figure, CONNECTIONS=50
#   SKIP_MILLION=1 bash bench/run.sh  # without the 1,000,000-post database (it takes ~1 min to seed)
#
# The load generator runs on the same machine as the server: both share its cores.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-50}"
THREADS="${THREADS:-2}"
PORT="${BENCH_PORT:-8077}"
OUT="target/bench"
BIN="${CARGO_TARGET_DIR:-target}/release/gazette"
BASE="http://127.0.0.1:$PORT"
mkdir -p "$OUT"

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)" >&2
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
echo "building the release binary" >&2
cargo build --release --bin gazette >&2

SERVER=""
stop_server() {
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=""
  fi
}
trap stop_server EXIT

# A fresh data folder seeded with $1 posts (100 users; 50 comments on the second newest post);
# reused between runs of the same size and seed version.
SEED_VERSION=3
seed() {
  local posts=$1 dir="$OUT/data-$1"
  if [ ! -f "$dir/seeded-$SEED_VERSION" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    echo "seeding $posts posts" >&2
    local start=$SECONDS
    DATABASE_URL="sqlite://$PWD/$dir/gazette.db" ROCKET_DATA_DIR="$dir" "$BIN" seed --users 100 --posts "$posts" >&2
    echo "seeded in $((SECONDS - start)) s" >&2
    touch "$dir/seeded-$SEED_VERSION"
  fi
}

start_server() {
  local dir="$OUT/data-$1"
  stop_server
  ROCKET_PORT="$PORT" ROCKET_DATA_DIR="$dir" ROCKET_MEDIA_DIR="$dir/media" DATABASE_URL="sqlite://$PWD/$dir/gazette.db" \
    "$BIN" serve >"$OUT/server-$1.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "the server did not start; see $OUT/server-$1.log" >&2
  exit 1
}

# wrk's figures as "requests/s p50_ms p99_ms" (latencies converted to milliseconds).
# MEASURE_CONNECTIONS=1 MEASURE_THREADS=1 measures one reader at a time (a request's own latency).
measure() {
  local url=$1; shift
  wrk -t"${MEASURE_THREADS:-$THREADS}" -c"${MEASURE_CONNECTIONS:-$CONNECTIONS}" -d"${DURATION}s" --timeout 30s --latency "$@" "$url" | awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /m$/)  return substr(v, 1, length(v) - 1) * 60000
      if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
      return v
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 }
    /Non-2xx or 3xx responses/ { bad = $NF }
    END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }'
}

ROWS=()
row() { # name, "rps p50 p99 bad"
  read -r rps p50 p99 bad <<<"$2"
  local note=""
  [ "${bad:-0}" -gt 0 ] && note=" ($bad answers not 2xx/3xx)"
  ROWS+=("| $1 | $rps | $p50 | $p99 |$note")
  printf '%-40s %8s req/s  p50 %7s ms  p99 %7s ms%s\n' "$1" "$rps" "$p50" "$p99" "$note" >&2
}

# The CSRF token of the login form; the form's cookie goes into the curl cookie jar $1.
login_form_token() {
  curl -fsS -c "$1" -b "$1" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1
}

# A login request for wrk: the CSRF cookie and token of one visitor, and a demo account.
login_script() {
  local jar="$OUT/login.jar" token cookie
  rm -f "$jar"
  token=$(login_form_token "$jar")
  cookie=$(awk '$6 == "csrf_token" { print $6 "=" $7 }' "$jar")
  cat >"$OUT/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "$cookie"
wrk.body = "csrf_token=$token&email=demo1%40example.com&password=gazette-demo"
LUA
}

# The session cookie of a signed-in demo user: their pages carry their name and form token, so
# each of their page views is rendered for them (readers' pages may be served again as rendered).
session_cookie() {
  local jar="$OUT/session.jar" token
  rm -f "$jar"
  token=$(login_form_token "$jar")
  curl -fsS -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$token" \
    --data-urlencode "email=demo2@example.com" --data-urlencode "password=gazette-demo" "$BASE/login"
  awk '$6 == "session" { print $6 "=" $7 }' "$jar"
}

# Logins wrk gave up on when it stopped are still queued for bcrypt: let them drain.
drain_logins() { sleep 10; }

# `measure "$BASE/" ARGS...` while 16 connections log in without pause (wrk's report of the
# logins goes to the file $1).
during_login_flood() {
  local report=$1 flood figures
  shift
  wrk -t1 -c16 -d"$((DURATION + 4))s" --timeout 30s -s "$OUT/login.lua" "$BASE/login" >"$report" &
  flood=$!
  sleep 2
  figures=$(measure "$BASE/" "$@")
  wait "$flood"
  drain_logins
  echo "$figures"
}

requests_per_s() { awk '/Requests\/sec:/ { print $2 }' "$1"; }

peak_rss_mib() {
  awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER/status"
}

seed 10000
start_server 10000
POST_ID=$(curl -fsS "$BASE/" | sed -n 's/.*href="\/post\/\([0-9]*\)".*/\1/p' | head -n1)
# The second newest post, with 50 comments (`gazette seed` writes them).
COMMENTED_ID=$(curl -fsS "$BASE/" | sed -n 's/.*href="\/post\/\([0-9]*\)".*/\1/p' | uniq | sed -n 2p)
case "$(curl -fsS "$BASE/post/$COMMENTED_ID")" in
  *"50 comments"*) ;;
  *) echo "post $COMMENTED_ID does not have the 50 comments of the seed" >&2; exit 1 ;;
esac
# Two words of the newest post's summary (`gazette seed` gives each post three of a thousand
# words): a query that finds a few posts, as a reader's does.
search_words() {
  curl -fsS "$BASE/api/articles?limit=1" | python3 -c 'import json, sys
words = json.load(sys.stdin)["articles"][0]["description"].replace(",", "").split()
print(words[3] + "+" + words[4])'
}
SEARCH_Q=$(search_words)
STATIC=$(curl -fsS "$BASE/" | sed -n 's/.*href="\(\/static\/[^"]*\.css\)".*/\1/p' | head -n1)
login_script
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "$BASE/" >/dev/null # warm up: caches, pool, allocator

home=$(measure "$BASE/")
row 'GET / (10,000 posts)' "$home"
row 'GET /?page=1000' "$(measure "$BASE/?page=1000")"
post=$(measure "$BASE/post/$POST_ID")
row "GET /post/$POST_ID (no comments)" "$post"
commented=$(measure "$BASE/post/$COMMENTED_ID")
row "GET /post/$COMMENTED_ID (50 comments)" "$commented"
row 'GET /user/demo7' "$(measure "$BASE/user/demo7")"
tag=$(measure "$BASE/tag/rust")
row 'GET /tag/rust (2,667 posts of 10,000)' "$tag"
search=$(measure "$BASE/search?q=$SEARCH_Q")
row "GET /search?q=$SEARCH_Q (two words)" "$search"
row 'GET /search?q=lorem+ipsum (every post matches)' "$(measure "$BASE/search?q=lorem+ipsum")"
tags=$(measure "$BASE/tags")
row 'GET /tags' "$tags"
feed=$(measure "$BASE/feed.atom")
row 'GET /feed.atom (20 posts)' "$feed"
FEED_ETAG=$(curl -fsS -o /dev/null -D - "$BASE/feed.atom" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
feed_304=$(measure "$BASE/feed.atom" -H "If-None-Match: $FEED_ETAG")
row 'GET /feed.atom answered 304' "$feed_304"
SESSION=$(session_cookie)
[ -n "$SESSION" ] || { echo "could not sign in a demo user" >&2; exit 1; }
row 'GET / signed in (rendered for each view)' "$(measure "$BASE/" -H "Cookie: $SESSION")"
row 'GET /api/articles' "$(measure "$BASE/api/articles")"
static=$(measure "$BASE$STATIC")
row "GET $STATIC (static file)" "$static"
row 'POST /login (bcrypt cost 12)' "$(measure "$BASE/login" -s "$OUT/login.lua")"
drain_logins

# Page views while a login flood runs: taking all they can, then at a steady, heavy reading
# load (each of the 50 connections waits 25 ms between views: about 2,000 views a second).
flooded=$(during_login_flood "$OUT/flood.txt")
row 'GET / during a login flood' "$flooded"
flood_logins=$(requests_per_s "$OUT/flood.txt")
cat >"$OUT/paced.lua" <<'LUA'
function delay() return 25 end
LUA
paced=$(measure "$BASE/" -s "$OUT/paced.lua")
row 'GET / at a steady ~2,000 views/s' "$paced"
paced_flooded=$(during_login_flood "$OUT/flood-paced.txt" -s "$OUT/paced.lua")
row 'GET / at ~2,000 views/s during a login flood' "$paced_flooded"
paced_logins=$(requests_per_s "$OUT/flood-paced.txt")
RSS_10K=$(peak_rss_mib)

if [ -z "${SKIP_MILLION:-}" ]; then
  seed 1000000
  start_server 1000000
  wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "$BASE/" >/dev/null
  million=$(measure "$BASE/")
  row 'GET / (1,000,000 posts)' "$million"
  last_page=$(curl -fsS -o /dev/null -w '%{http_code}' "$BASE/?page=200000")
  [ "$last_page" = 200 ] || echo "the last page answered $last_page" >&2
  row 'GET /?page=200000 (last page of 1,000,000)' "$(measure "$BASE/?page=200000")"
  SEARCH_Q=$(search_words)
  search_1m=$(MEASURE_CONNECTIONS=1 MEASURE_THREADS=1 measure "$BASE/search?q=$SEARCH_Q")
  row "GET /search?q=$SEARCH_Q at 1,000,000 posts, one reader at a time" "$search_1m"
  row "GET /search?q=$SEARCH_Q at 1,000,000 posts" "$(measure "$BASE/search?q=$SEARCH_Q")"
  search_all_1m=$(MEASURE_CONNECTIONS=1 MEASURE_THREADS=1 measure "$BASE/search?q=lorem+ipsum")
  row 'GET /search?q=lorem+ipsum at 1,000,000 (all match), one at a time' "$search_all_1m"
  RSS_1M=$(peak_rss_mib)
fi
stop_server

read -r home_rps _ home_p99 _ <<<"$home"
read -r _ _ flooded_p99 _ <<<"$flooded"
read -r static_rps _ _ _ <<<"$static"
{
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $(uname -sr); wrk $THREADS threads, $CONNECTIONS connections, ${DURATION} s per figure, on the same machine."
  echo "Date: $(date -u +%Y-%m-%d). Commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown). SQLite, default settings (5 posts per page, bcrypt cost 12)."
  echo
  echo "| Request | Requests/s | p50 (ms) | p99 (ms) |"
  echo "|---|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "| Figure | Value | Goal |"
  echo "|---|---:|---|"
  echo "| Logins/s during the flood (page views taking all they can) | $flood_logins | ≥ 6 |"
  echo "| GET / p99 during the login flood ÷ alone | $(awk -v a="$flooded_p99" -v b="$home_p99" 'BEGIN { printf "%.2f", a / b }') | ≤ 2 |"
  read -r _ _ paced_p99 _ <<<"$paced"
  read -r _ _ paced_flooded_p99 _ <<<"$paced_flooded"
  echo "| Logins/s during the flood (page views at ~2,000/s) | $paced_logins | ≥ 6 |"
  echo "| GET / p99 at ~2,000/s during the login flood ÷ alone | $(awk -v a="$paced_flooded_p99" -v b="$paced_p99" 'BEGIN { printf "%.2f", a / b }') | ≤ 2 |"
  echo "| GET / ÷ static file (requests/s) | $(awk -v a="$home_rps" -v b="$static_rps" 'BEGIN { printf "%.2f", a / b }') | close to 1 |"
  read -r tag_rps _ _ _ <<<"$tag"
  read -r tags_rps _ _ _ <<<"$tags"
  echo "| GET /tag/rust ÷ static file | $(awk -v a="$tag_rps" -v b="$static_rps" 'BEGIN { printf "%.2f", a / b }') | ≥ 0.5 (issue 15) |"
  echo "| GET /tags ÷ static file | $(awk -v a="$tags_rps" -v b="$static_rps" 'BEGIN { printf "%.2f", a / b }') | |"
  read -r search_rps _ _ _ <<<"$search"
  echo "| GET /search?q=(two words) ÷ static file | $(awk -v a="$search_rps" -v b="$static_rps" 'BEGIN { printf "%.2f", a / b }') | ≥ 0.5 (issue 15) |"
  read -r feed_rps _ _ _ <<<"$feed"
  read -r feed_304_rps _ _ _ <<<"$feed_304"
  echo "| GET /feed.atom ÷ static file | $(awk -v a="$feed_rps" -v b="$static_rps" 'BEGIN { printf "%.2f", a / b }') | ≥ 0.5 (issue 15) |"
  echo "| GET /feed.atom answered 304 ÷ static file | $(awk -v a="$feed_304_rps" -v b="$static_rps" 'BEGIN { printf "%.2f", a / b }') | ≥ 0.5 (issue 15) |"
  read -r post_rps _ _ _ <<<"$post"
  read -r commented_rps _ _ _ <<<"$commented"
  echo "| GET a post without comments ÷ with 50 (requests/s) | $(awk -v a="$post_rps" -v b="$commented_rps" 'BEGIN { printf "%.2f", a / b }') | ≤ 1.5 (issue 13) |"
  echo "| GET a post with 50 comments ÷ static file | $(awk -v a="$commented_rps" -v b="$static_rps" 'BEGIN { printf "%.2f", a / b }') | ≥ 0.5 (issue 15) |"
  if [ -n "${million:-}" ]; then
    read -r million_rps _ _ _ <<<"$million"
    echo "| GET / at 10,000 posts ÷ at 1,000,000 posts (requests/s: cost growth) | $(awk -v a="$home_rps" -v b="$million_rps" 'BEGIN { printf "%.2f", a / b }') | ≤ 1.3 |"
    read -r _ _ search_1m_p99 _ <<<"$search_1m"
    read -r _ _ search_all_1m_p99 _ <<<"$search_all_1m"
    echo "| Search for two words at 1,000,000 posts, p99 (ms, one reader at a time) | $search_1m_p99 | ≤ 50 (issue 14) |"
    echo "| Search for words every post has at 1,000,000 posts, p99 (ms, one at a time) | $search_all_1m_p99 | |"
    echo "| Peak RSS, 1,000,000 posts (MiB) | $RSS_1M | ≤ 50 |"
  fi
  echo "| Peak RSS, 10,000 posts (MiB) | $RSS_10K | ≤ 50 |"
} | tee "$OUT/report.md"
