#!/usr/bin/env bash
# What hostile profile pictures cost the server: peak and settled memory while eight
# decompression-bomb PNGs are uploaded at once, and the CPU time of SVGs that once ran for days.
# Release build, fresh SQLite database, one signed-in browser (curl). Prints a Markdown table.
#
#   bash bench/uploads.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${BENCH_PORT:-8078}"
BASE="http://127.0.0.1:$PORT"
OUT="target/bench/uploads"
BIN="${CARGO_TARGET_DIR:-target}/release/gazette"
rm -rf "$OUT" && mkdir -p "$OUT"
cargo build --release --bin gazette >&2

ROCKET_PORT="$PORT" ROCKET_DATA_DIR="$OUT" ROCKET_MEDIA_DIR="$OUT/media" ROCKET_BCRYPT_COST=4 \
  DATABASE_URL="sqlite://$PWD/$OUT/gazette.db" "$BIN" serve >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

JAR="$OUT/jar"
token() { curl -s -b "$JAR" -c "$JAR" "$BASE$1" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1; }
T=$(token /register)
curl -s -o /dev/null -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=$T" -d username=bench -d email=bench@example.com \
  -d password=bench-password -d confirm_password=bench-password "$BASE/register"
T=$(token /login)
curl -s -o /dev/null -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=$T" -d email=bench@example.com \
  -d password=bench-password "$BASE/login"
T=$(token /account)
[ -n "$T" ] || { echo "could not sign in" >&2; exit 1; }

python3 - "$OUT" <<'PY'
import struct, sys, zlib
out = sys.argv[1]
def png(w, h):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    z = zlib.compressobj(9)
    row = b"\0" * (1 + 4 * w)
    idat = b"".join(z.compress(row) for _ in range(h)) + z.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
open(f"{out}/bomb-4096.png", "wb").write(png(4096, 4096))
open(f"{out}/bomb-8000.png", "wb").write(png(8000, 8000))
head = '<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000">'
open(f"{out}/turbulence.svg", "w").write(head + '<filter id="f"><feTurbulence baseFrequency="0.05" numOctaves="1000000000"/></filter><rect width="10" height="10" filter="url(#f)"/></svg>')
fan = head + '<defs><rect id="l0" width="1" height="1"/>' + "".join(f'<g id="l{k}">' + f'<use href="#l{k-1}"/>' * 8 + "</g>" for k in range(1, 9)) + '</defs><use href="#l8"/></svg>'
open(f"{out}/fan-out.svg", "w").write(fan)
import base64
def picture(w, h):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    rows = b"".join(b"\0" + bytes((x * y + y) & 255 for x in range(w * 4)) for y in range(h))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
data = base64.b64encode(picture(1024, 1024)).decode()
images = "".join(f'<image id="i{k}" href="data:image/png;base64,{data}" width="250" height="250"/>' for k in range(4))
uses = "".join(f'<use href="#i{k % 4}"/>' for k in range(5))
open(f"{out}/embedded.svg", "w").write(head + images + uses + "</svg>")
circles = head + '<circle cx="500" cy="500" r="450" opacity="0.3" fill="blue" stroke="red" stroke-width="20"/>' * 3950 + "</svg>"
open(f"{out}/circles.svg", "w").write(circles)
PY

rss() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$SERVER/status"; }
hwm() { awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$SERVER/status"; }
cpu() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
upload() { curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -b "$JAR" -F "csrf_token=$T" -F username=bench \
  -F email=bench@example.com -F "picture=@$1" "$BASE/account"; }

echo "| what | result |"
echo "| --- | --- |"
echo "| idle RSS | $(rss) MiB |"
for size in 4096 8000; do
  before=$(rss)
  pids=()
  for k in $(seq 1 "${UPLOADS:-8}"); do { upload "$OUT/bomb-$size.png"; echo; } >"$OUT/status-$size-$k" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p"; done
  sleep 2
  soon=$(rss)
  sleep 10
  statuses=$(cat "$OUT"/status-$size-* | sort | uniq -c | awk '{printf "%s x %s%s ", $1, $2, ($3 == "" ? "" : " to " $3)}')
  echo "| ${UPLOADS:-8} concurrent ${size}x${size} bomb PNGs ($(stat -c %s "$OUT/bomb-$size.png") bytes each; answers: $statuses) | RSS $before MiB before, peak so far $(hwm) MiB, $soon MiB 2 s after, $(rss) MiB 12 s after |"
done
tick=$(getconf CLK_TCK)
for svg in turbulence fan-out circles embedded; do
  c0=$(cpu); t0=$(date +%s.%N)
  status=$(upload "$OUT/$svg.svg")
  c1=$(cpu); t1=$(date +%s.%N)
  echo "| SVG $svg ($(stat -c %s "$OUT/$svg.svg") bytes): answer $status | $(echo "scale=2; ($c1 - $c0) / $tick" | bc) s CPU, $(echo "scale=2; $t1 - $t0" | bc) s wall |"
done
echo "| peak RSS of the whole run | $(hwm) MiB |"
