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

# The server on the data folder $OUT/data-$1, with the database URL $2 (its SQLite file by default).
start_server() {
  local dir="$OUT/data-$1"
  stop_server
  mkdir -p "$dir"
  ROCKET_PORT="$PORT" ROCKET_DATA_DIR="$dir" ROCKET_MEDIA_DIR="$dir/media" DATABASE_URL="${2:-sqlite://$PWD/$dir/gazette.db}" \
    "$BIN" serve >"$OUT/server-$1.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
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

# The cookies a signed-in demo user's browser sends: the session, and the form token its first
# page after logging in set (their pages carry their name and that token).
session_cookie() {
  local jar="$OUT/session.jar" token
  rm -f "$jar"
  token=$(login_form_token "$jar")
  curl -fsS -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$token" \
    --data-urlencode "email=demo2@example.com" --data-urlencode "password=gazette-demo" "$BASE/login"
  curl -fsS -o /dev/null -c "$jar" -b "$jar" "$BASE/"
  awk '$6 == "session" || $6 == "csrf_token" { print $6 "=" $7 }' "$jar" | paste -sd ';' | sed 's/;/; /g'
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

# The static file measured right before a figure that is compared with it, kept under the
# figure's name (`near NAME [wrk arguments]`): on this kind of host the speed drifts by a third
# within minutes (BENCHMARKS.md, fifth round), and a ratio holds only against a yardstick taken
# next to its figure. The static file's own rows are single figures, for reference.
declare -A NEAR=()
near() {
  local name=$1
  shift
  NEAR[$name]=$(rps_of "$(measure "$BASE$STATIC" "$@")")
}

peak_rss_mib() {
  awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER/status"
}

# The peak RSS of the server now running, kept in $OUT/peaks (the report takes the highest).
: >"$OUT/peaks"
note_peak_rss() {
  peak_rss_mib | tee -a "$OUT/peaks"
  echo >>"$OUT/peaks"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
rps_of() { read -r rps _ <<<"$1"; echo "$rps"; }
p99_of() { read -r _ _ p99 _ <<<"$1"; echo "$p99"; }

# A token for the API's demo user $1, who then follows ten other demo authors (their posts
# make the user's feed).
api_token() {
  local token
  token=$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"user\":{\"email\":\"$1@example.com\",\"password\":\"gazette-demo\"}}" "$BASE/api/users/login" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["user"]["token"])')
  for n in $(seq 3 13); do
    [ "demo$n" = "$1" ] && continue
    curl -fsS -o /dev/null -X POST -H "Authorization: Token $token" "$BASE/api/profiles/demo$n/follow"
  done
  echo "$token"
}

# What one cost-12 bcrypt check costs a C implementation (Python's `bcrypt` package, installed
# into target/bench): "logins/s the machine's cores allow" and "CPU ms per check".
bcrypt_limit() {
  local lib="$OUT/pylib"
  if ! PYTHONPATH="$lib" python3 -c 'import bcrypt' 2>/dev/null; then
    python3 -m pip install -q --disable-pip-version-check --target "$lib" bcrypt==4.2.1 >&2
  fi
  PYTHONPATH="$lib" python3 - <<'PY'
import os, time, bcrypt
hashed = bcrypt.hashpw(b"gazette-demo", bcrypt.gensalt(12))
checks = 8
start = time.process_time()
for _ in range(checks):
    bcrypt.checkpw(b"gazette-demo", hashed)
cpu = (time.process_time() - start) / checks
print(f"{os.cpu_count() / cpu:.2f} {cpu * 1000:.0f}")
PY
}

# Creating posts through the API from every connection without pause (each with two tags, a
# title of its own and a Markdown body), while page views of $3 (`/` unless named) go on at
# ~2,000/s: "writes page_views" (wrk's figures for each), and how often the server said
# "database is locked".
write_load() {
  local token=$1 log=$2 viewed=${3:-$BASE/} writes views
  cat >"$OUT/write.lua" <<LUA
local thread_no = 0
function setup(thread)
  thread:set("thread_no", thread_no)
  thread_no = thread_no + 1
end
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"article":{"title":"Written under load %s-%d-%d","description":"A post the benchmark wrote","body":"Some **Markdown** words, as posts have them, with [a link](https://example.org).\\\\n\\\\n## A heading\\\\n\\\\n- one point\\\\n- another point\\\\n\\\\nAnd a closing paragraph of a few more words.","tagList":["bench","rust"]}}', "$(date +%s)", thread_no, n)
  return wrk.format("POST", "/api/articles", { ["Content-Type"] = "application/json", ["Authorization"] = "Token $token" }, body)
end
LUA
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$((DURATION + 4))s" --timeout 30s --latency -s "$OUT/write.lua" "$BASE/api/articles" >"$OUT/writes.txt" &
  writes=$!
  sleep 2
  views=$(MEASURE_CONNECTIONS=50 measure "$viewed" -s "$OUT/paced.lua")
  wait "$writes"
  local figures
  figures=$(awk '
    $1 == "Requests/sec:" { rps = $2 }
    /Non-2xx or 3xx responses/ { bad = $NF }
    /Socket errors/ { errors = $0 }
    END { printf "%.0f %d", rps, bad }' "$OUT/writes.txt")
  echo "$figures $(grep -c 'database is locked' "$log" || true)|$views"
}

cat >"$OUT/paced.lua" <<'LUA'
function delay() return 25 end
LUA

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
newest_slug() {
  curl -fsS "$BASE/api/articles?limit=1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["articles"][0]["slug"])'
}
SEARCH_Q=$(search_words)
SLUG=$(newest_slug)
STATIC=$(curl -fsS "$BASE/" | sed -n 's/.*href="\(\/static\/[^"]*\.css\)".*/\1/p' | head -n1)
login_script
TOKEN=$(api_token demo2)
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "$BASE/" >/dev/null # warm up: caches, pool, allocator

near home
home=$(measure "$BASE/")
row 'GET / (10,000 posts)' "$home"
row 'GET /?page=1000' "$(measure "$BASE/?page=1000")"
post=$(measure "$BASE/post/$POST_ID")
row "GET /post/$POST_ID (no comments)" "$post"
near commented
commented=$(measure "$BASE/post/$COMMENTED_ID")
row "GET /post/$COMMENTED_ID (50 comments)" "$commented"
row 'GET /user/demo7' "$(measure "$BASE/user/demo7")"
near tag
tag=$(measure "$BASE/tag/rust")
row 'GET /tag/rust (2,667 posts of 10,000)' "$tag"
near search
search=$(measure "$BASE/search?q=$SEARCH_Q")
row "GET /search?q=$SEARCH_Q (two words)" "$search"
row 'GET /search?q=lorem+ipsum (every post matches)' "$(measure "$BASE/search?q=lorem+ipsum")"
near tags
tags=$(measure "$BASE/tags")
row 'GET /tags' "$tags"
near feed
feed=$(measure "$BASE/feed.atom")
row 'GET /feed.atom (20 posts)' "$feed"
FEED_ETAG=$(curl -fsS -o /dev/null -D - "$BASE/feed.atom" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
near feed_304
feed_304=$(measure "$BASE/feed.atom" -H "If-None-Match: $FEED_ETAG")
row 'GET /feed.atom answered 304' "$feed_304"
SESSION=$(session_cookie)
[ -n "$SESSION" ] || { echo "could not sign in a demo user" >&2; exit 1; }
near signed_in
signed_in=$(measure "$BASE/" -H "Cookie: $SESSION")
row 'GET / signed in' "$signed_in"
near api
api=$(measure "$BASE/api/articles")
row 'GET /api/articles (20 articles)' "$api"
near api_one
api_one=$(measure "$BASE/api/articles/$SLUG")
row 'GET /api/articles/<slug>' "$api_one"
near api_tag
api_tag=$(measure "$BASE/api/articles?tag=rust")
row 'GET /api/articles?tag=rust' "$api_tag"
near api_feed
api_feed=$(measure "$BASE/api/articles/feed" -H "Authorization: Token $TOKEN")
row 'GET /api/articles/feed (signed in, 10 authors followed)' "$api_feed"
near home_br
near home_br_br -H "Accept-Encoding: br, gzip"
home_br=$(measure "$BASE/" -H "Accept-Encoding: br, gzip")
row 'GET / with Accept-Encoding: br, gzip' "$home_br"
static=$(measure "$BASE$STATIC")
row "GET $STATIC (static file)" "$static"
static_br=$(measure "$BASE$STATIC" -H "Accept-Encoding: br, gzip")
row 'the static file with Accept-Encoding: br, gzip' "$static_br"
read -r BCRYPT_LIMIT BCRYPT_MS <<<"$(bcrypt_limit)"
logins=$(measure "$BASE/login" -s "$OUT/login.lua")
row 'POST /login (bcrypt cost 12)' "$logins"
drain_logins

# Page views while a login flood runs: taking all they can, then at a steady, heavy reading
# load (each of the 50 connections waits 25 ms between views: about 2,000 views a second),
# twice.
flooded=$(during_login_flood "$OUT/flood.txt")
row 'GET / during a login flood' "$flooded"
flood_logins=$(requests_per_s "$OUT/flood.txt")
paced=$(measure "$BASE/" -s "$OUT/paced.lua")
row 'GET / at a steady ~2,000 views/s' "$paced"
paced_flooded=$(during_login_flood "$OUT/flood-paced.txt" -s "$OUT/paced.lua")
row 'GET / at ~2,000 views/s during a login flood' "$paced_flooded"
paced_logins=$(requests_per_s "$OUT/flood-paced.txt")
paced_2=$(measure "$BASE/" -s "$OUT/paced.lua")
row 'GET / at a steady ~2,000 views/s (again)' "$paced_2"
paced_flooded_2=$(during_login_flood "$OUT/flood-paced-2.txt" -s "$OUT/paced.lua")
row 'GET / at ~2,000 views/s during a login flood (again)' "$paced_flooded_2"
paced_logins_2=$(requests_per_s "$OUT/flood-paced-2.txt")
RSS_10K=$(note_peak_rss)

# Writes, on a copy of the 10,000-post database (the figures above stay comparable between runs).
stop_server
rm -rf "$OUT/data-writes" && cp -r "$OUT/data-10000" "$OUT/data-writes"
start_server writes
WRITE_TOKEN=$(api_token demo3)
# The server has just started on its copy: warmed up as for every other figure.
wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s "$OUT/paced.lua" "$BASE/" >/dev/null
sqlite_paced=$(measure "$BASE/" -s "$OUT/paced.lua")
row 'GET / at ~2,000 views/s (before the writes)' "$sqlite_paced"
IFS='|' read -r sqlite_writes sqlite_write_views <<<"$(write_load "$WRITE_TOKEN" "$OUT/server-writes.log")"
read -r sqlite_posts_s sqlite_write_bad sqlite_locked <<<"$sqlite_writes"
ROWS+=("| POST /api/articles from $CONNECTIONS connections (with tags) | $sqlite_posts_s | | | ($sqlite_write_bad not 2xx; \"database is locked\" $sqlite_locked times)")
row 'GET / at ~2,000 views/s during the writes' "$sqlite_write_views"
# The same for the static file, which asks nothing of the database: what the writes cost any
# answer on this machine, the yardstick of the figure above.
sqlite_static_paced=$(measure "$BASE$STATIC" -s "$OUT/paced.lua")
row 'the static file at ~2,000/s (before the writes)' "$sqlite_static_paced"
IFS='|' read -r sqlite_writes_2 sqlite_static_write_views <<<"$(write_load "$WRITE_TOKEN" "$OUT/server-writes.log" "$BASE$STATIC")"
read -r sqlite_posts_s_2 sqlite_write_bad_2 sqlite_locked_2 <<<"$sqlite_writes_2"
# The server's log counts both loads: the second load's are those past the first's.
ROWS+=("| The same writes again, while the static file is viewed | $sqlite_posts_s_2 | | | ($sqlite_write_bad_2 not 2xx; \"database is locked\" $((sqlite_locked_2 - sqlite_locked)) times)")
row 'the static file at ~2,000/s during the writes' "$sqlite_static_write_views"
RSS_WRITES=$(note_peak_rss)

# PostgreSQL: the machine's server, default settings; a database seeded afresh each run. The
# server connects through PostgreSQL's Unix socket, as it should on one machine (over TCP to
# 127.0.0.1 the connections negotiate TLS: GET / 2,457 -> 2,028 req/s, and 1,756 with TLS).
PG_SERVER="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
PG_SOCKET="${BENCH_PG_SOCKET:-/var/run/postgresql}"
if [ -z "${SKIP_POSTGRES:-}" ] && psql "$PG_SERVER/postgres" -qAtc 'select 1' >/dev/null 2>&1; then
  stop_server
  psql "$PG_SERVER/postgres" -qc 'DROP DATABASE IF EXISTS gazette_bench' -c 'CREATE DATABASE gazette_bench' >/dev/null
  PG_URL="postgres://postgres@localhost/gazette_bench?host=$PG_SOCKET"
  [ -S "$PG_SOCKET/.s.PGSQL.5432" ] || PG_URL="$PG_SERVER/gazette_bench"
  rm -rf "$OUT/data-pg" && mkdir -p "$OUT/data-pg"
  echo "seeding 10000 posts into PostgreSQL" >&2
  pg_start=$SECONDS
  DATABASE_URL="$PG_URL" ROCKET_DATA_DIR="$OUT/data-pg" "$BIN" seed --users 100 --posts 10000 >&2
  echo "seeded in $((SECONDS - pg_start)) s" >&2
  start_server pg "$PG_URL"
  PG_POST_ID=$(curl -fsS "$BASE/" | sed -n 's/.*href="\/post\/\([0-9]*\)".*/\1/p' | head -n1)
  PG_STATIC=$(curl -fsS "$BASE/" | sed -n 's/.*href="\(\/static\/[^"]*\.css\)".*/\1/p' | head -n1)
  STATIC=$PG_STATIC
  wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "$BASE/" >/dev/null
  near pg_home
  pg_home=$(measure "$BASE/")
  row 'PostgreSQL: GET / (10,000 posts, right after the seed)' "$pg_home"
  near pg_deep
  pg_deep=$(measure "$BASE/?page=1000")
  row 'PostgreSQL: GET /?page=1000' "$pg_deep"
  near pg_post
  pg_post=$(measure "$BASE/post/$PG_POST_ID")
  row "PostgreSQL: GET /post/$PG_POST_ID" "$pg_post"
  near pg_api
  pg_api=$(measure "$BASE/api/articles")
  row 'PostgreSQL: GET /api/articles' "$pg_api"
  pg_static=$(measure "$BASE$PG_STATIC")
  row 'PostgreSQL: the static file' "$pg_static"
  PG_TOKEN=$(api_token demo3)
  pg_paced=$(measure "$BASE/" -s "$OUT/paced.lua")
  row 'PostgreSQL: GET / at ~2,000 views/s (before the writes)' "$pg_paced"
  IFS='|' read -r pg_writes pg_write_views <<<"$(write_load "$PG_TOKEN" "$OUT/server-pg.log")"
  read -r pg_posts_s pg_write_bad _ <<<"$pg_writes"
  ROWS+=("| PostgreSQL: POST /api/articles from $CONNECTIONS connections (with tags) | $pg_posts_s | | | ($pg_write_bad not 2xx)")
  row 'PostgreSQL: GET / at ~2,000 views/s during the writes' "$pg_write_views"
  pg_static_paced=$(measure "$BASE$PG_STATIC" -s "$OUT/paced.lua")
  row 'PostgreSQL: the static file at ~2,000/s (before the writes)' "$pg_static_paced"
  IFS='|' read -r pg_writes_2 pg_static_write_views <<<"$(write_load "$PG_TOKEN" "$OUT/server-pg.log" "$BASE$PG_STATIC")"
  read -r pg_posts_s_2 pg_write_bad_2 _ <<<"$pg_writes_2"
  ROWS+=("| PostgreSQL: the same writes again, while the static file is viewed | $pg_posts_s_2 | | | ($pg_write_bad_2 not 2xx)")
  row 'PostgreSQL: the static file at ~2,000/s during the writes' "$pg_static_write_views"
  RSS_PG=$(note_peak_rss)
fi

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
  RSS_1M=$(note_peak_rss)
fi
stop_server

# A figure (by its variable's name) ÷ the static file measured right before it (`near`).
vs_static() { ratio "$(rps_of "${!1}")" "${NEAR[$1]}"; }
# One figure of the targets table: name, value, goal, and whether the value meets it ("≥"/"≤").
target() {
  local mark
  mark=$(awk -v v="$2" -v g="$4" -v op="$3" 'BEGIN { ok = (op == "≥") ? (v >= g) : (v <= g); print ok ? "✔" : "✘" }')
  echo "| $1 | $2 | $3 $4 $mark |"
}
{
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $(uname -sr); wrk $THREADS threads, $CONNECTIONS connections, ${DURATION} s per figure, on the same machine."
  echo "Date: $(date -u +%Y-%m-%d). Commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown). SQLite unless named, default settings (5 posts per page, bcrypt cost 12)."
  echo "Each ratio to the static file is to the static file measured right before the figure (req/s): $(for name in "${!NEAR[@]}"; do printf '%s %s\n' "$name" "${NEAR[$name]}"; done | sort | paste -sd ';' | sed 's/;/; /g')."
  echo
  echo "| Request | Requests/s | p50 (ms) | p99 (ms) |"
  echo "|---|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "| Figure | Value | Goal |"
  echo "|---|---:|---|"
  target 'GET / ÷ static file' "$(vs_static home)" "≥" 0.9
  target 'GET / signed in ÷ static file' "$(vs_static signed_in)" "≥" 0.8
  target 'GET / signed in p99 ÷ anonymous p99' "$(ratio "$(p99_of "$signed_in")" "$(p99_of "$home")")" "≤" 2
  target 'GET /api/articles ÷ static file' "$(vs_static api)" "≥" 0.8
  target 'GET /api/articles/<slug> ÷ static file' "$(vs_static api_one)" "≥" 0.8
  target 'GET /api/articles?tag=rust ÷ static file' "$(vs_static api_tag)" "≥" 0.6
  target 'GET /api/articles/feed ÷ static file' "$(vs_static api_feed)" "≥" 0.5
  target 'GET /tag/rust ÷ static file' "$(vs_static tag)" "≥" 0.5
  target 'GET /search?q=(two words) ÷ static file' "$(vs_static search)" "≥" 0.5
  target 'GET /feed.atom ÷ static file' "$(vs_static feed)" "≥" 0.5
  target 'GET /feed.atom answered 304 ÷ static file' "$(vs_static feed_304)" "≥" 0.5
  target 'GET a post with 50 comments ÷ static file' "$(vs_static commented)" "≥" 0.5
  target 'GET a post without comments ÷ with 50' "$(ratio "$(rps_of "$post")" "$(rps_of "$commented")")" "≤" 1.5
  echo "| GET /tags ÷ static file | $(vs_static tags) | |"
  target 'GET / with br, gzip ÷ the static file with br, gzip' "$(ratio "$(rps_of "$home_br")" "${NEAR[home_br_br]}")" "≥" 0.7
  target 'GET / with br, gzip ÷ the static file' "$(vs_static home_br)" "≥" 0.7
  target "Logins/s at cost 12 ÷ the machine's bcrypt limit ($BCRYPT_LIMIT/s: $(nproc) cores ÷ $BCRYPT_MS ms of CPU a check)" "$(ratio "$(rps_of "$logins")" "$BCRYPT_LIMIT")" "≥" 0.9
  echo "| Logins/s during the flood (page views taking all they can) | $flood_logins | |"
  target 'GET / p99 during the login flood ÷ alone' "$(ratio "$(p99_of "$flooded")" "$(p99_of "$home")")" "≤" 2
  echo "| Logins/s during the flood (page views at ~2,000/s), twice | $paced_logins, $paced_logins_2 | |"
  target 'GET / p99 at ~2,000/s during the login flood ÷ alone' "$(ratio "$(p99_of "$paced_flooded")" "$(p99_of "$paced")")" "≤" 2
  target 'the same, again' "$(ratio "$(p99_of "$paced_flooded_2")" "$(p99_of "$paced_2")")" "≤" 2
  target 'Posts written a second (SQLite, API, 50 connections)' "$sqlite_posts_s" "≥" 1000
  target 'Writes not 2xx, and "database is locked" in the log (SQLite)' "$((sqlite_write_bad + sqlite_locked))" "≤" 0
  target 'GET / p99 at ~2,000/s during the writes ÷ before (SQLite)' "$(ratio "$(p99_of "$sqlite_write_views")" "$(p99_of "$sqlite_paced")")" "≤" 3
  echo "| The static file's p99 at ~2,000/s during the writes ÷ before (SQLite; the yardstick of the figure above) | $(ratio "$(p99_of "$sqlite_static_write_views")" "$(p99_of "$sqlite_static_paced")") | |"
  if [ -n "${pg_home:-}" ]; then
    target 'PostgreSQL: GET / ÷ static file' "$(vs_static pg_home)" "≥" 0.7
    target 'PostgreSQL: GET /?page=1000 ÷ static file' "$(vs_static pg_deep)" "≥" 0.5
    target 'PostgreSQL: one post ÷ static file' "$(vs_static pg_post)" "≥" 0.8
    target 'PostgreSQL: GET /api/articles ÷ static file' "$(vs_static pg_api)" "≥" 0.5
    target 'Posts written a second (PostgreSQL)' "$pg_posts_s" "≥" 500
    target 'Writes not 2xx (PostgreSQL)' "$pg_write_bad" "≤" 0
    target 'GET / p99 at ~2,000/s during the writes ÷ before (PostgreSQL)' "$(ratio "$(p99_of "$pg_write_views")" "$(p99_of "$pg_paced")")" "≤" 3
    echo "| The static file's p99 at ~2,000/s during the writes ÷ before (PostgreSQL; the yardstick of the figure above) | $(ratio "$(p99_of "$pg_static_write_views")" "$(p99_of "$pg_static_paced")") | |"
  fi
  if [ -n "${million:-}" ]; then
    target 'GET / at 10,000 posts ÷ at 1,000,000 posts (requests/s: cost growth)' "$(ratio "$(rps_of "$home")" "$(rps_of "$million")")" "≤" 1.3
    target 'Search for two words at 1,000,000 posts, p99 (ms, one reader at a time)' "$(p99_of "$search_1m")" "≤" 50
    echo "| Search for words every post has at 1,000,000 posts, p99 (ms, one at a time) | $(p99_of "$search_all_1m") | |"
    echo "| Peak RSS, 1,000,000 posts (MiB) | $RSS_1M | |"
  fi
  echo "| Peak RSS, 10,000 posts; during the writes; PostgreSQL (MiB) | $RSS_10K; $RSS_WRITES; ${RSS_PG:-} | |"
  target 'Peak RSS through the whole benchmark (MiB)' "$(sort -n "$OUT/peaks" | tail -n1)" "≤" 50
} | tee "$OUT/report.md"
