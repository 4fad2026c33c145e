#!/usr/bin/env bash
# Benchmark of `soundtime push` (docs/benchmarks.md), against a `soundtime dev` stack of its own:
#
#  1. Wall time: the same FILES MP3s shared by `soundtime push -j JOBS` and by curl, one file
#     after another (POST /api/tracks, then the presigned PUT), in the same run, ROUNDS times with
#     the order swapped each round; processing is left to finish between runs.
#  2. Peak memory (/usr/bin/time -v): `soundtime push` of the FILES MP3s alone, then of FILES-1 of
#     them with a BIG_MB WAV among them (uploaded in parts): the CLI's memory must stay flat.
#
#   scripts/bench-push.sh                      # FILES=50 SECONDS_EACH=100 BIG_MB=1024 JOBS=4 ROUNDS=2
#   FILES=10 BIG_MB=200 scripts/bench-push.sh  # a quick look
#
# Needs what `make tools` installs (Versity, dynalite, fauxqs, ffmpeg), and curl, jq, openssl and
# GNU time. About 10 minutes with the defaults on 2 cores; 2 GB of disk under TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${FILES:-50}
SECONDS_EACH=${SECONDS_EACH:-100}
BIG_MB=${BIG_MB:-1024}
JOBS=${JOBS:-4}
ROUNDS=${ROUNDS:-2}
FFMPEG=${FFMPEG_PATH:-$PWD/node_modules/@ffmpeg-installer/linux-x64/ffmpeg}
export VERSITYGW_BIN=${VERSITYGW_BIN:-$PWD/.tools/bin/versitygw}
export DYNALITE_CLI=${DYNALITE_CLI:-$PWD/node_modules/dynalite/cli.js}
export FAUXQS_SERVER_JS=${FAUXQS_SERVER_JS:-$PWD/node_modules/fauxqs/dist/server.js}
export FFMPEG_PATH=$FFMPEG
for tool in curl jq openssl /usr/bin/time "$FFMPEG" "$VERSITYGW_BIN"; do
  command -v "$tool" >/dev/null || { echo "bench-push: $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-push.XXXXXX")
dev=
cleanup() {
  if [ -n "$dev" ]; then kill -INT "$dev" 2>/dev/null || true; wait "$dev" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/soundtime" ./cmd/soundtime
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
api=http://127.0.0.1:$port
# Two process runs at once (the least an SQS event source allows): processing the last run's
# files is left to finish before the next run anyway.
SOUNDTIME_ADDR=127.0.0.1:$port PUBLIC_BASE_URL=$api SOUNDTIME_DATA_DIR=$work/data PROCESS_CONCURRENCY=2 \
  "$work/soundtime" dev >"$work/dev.log" 2>&1 &
dev=$!
until curl -sf "$api/healthz" >/dev/null; do
  kill -0 "$dev" 2>/dev/null || { cat "$work/dev.log" >&2; exit 1; }
  sleep 0.5
done

# The library: one MP3 encoded once, copied FILES times with a different title tag (other bytes).
mkdir -p "$work/lib" "$work/big"
"$FFMPEG" -nostdin -loglevel error -f lavfi -i "sine=f=440:d=$SECONDS_EACH" -ac 2 -b:a 320k "$work/base.mp3"
for i in $(seq -w 1 "$FILES"); do
  "$FFMPEG" -nostdin -loglevel error -i "$work/base.mp3" -c copy -metadata title="Track $i" "$work/lib/$i.mp3"
done
lib_bytes=$(du -sb "$work/lib" | cut -f1)
echo "library: $FILES MP3s of ${SECONDS_EACH}s, $((lib_bytes / 1048576)) MiB"

# wait_ids waits until every track named in the file $1 is processed, then until the upload rate
# limit (bursts of 60, 2 a second) has refilled.
wait_ids() {
  while read -r id; do
    until s=$(curl -sf "$api/api/tracks/$id" | jq -r .status) && [ "$s" != pending ] && [ "$s" != processing ]; do sleep 1; done
  done <"$1"
  sleep 30
}

now() { date +%s.%N; }

curl_run() { # $1: ids file
  local f size md5 body created
  for f in "$work"/lib/*.mp3; do
    size=$(stat -c %s "$f")
    md5=$(openssl md5 -binary "$f" | base64)
    body=$(jq -nc --arg n "$(basename "$f")" --argjson s "$size" --arg m "$md5" '{filename: $n, type: "audio/mpeg", size: $s, md5: $m}')
    created=$(curl -sf -X POST "$api/api/tracks" -H 'Content-Type: application/json' -d "$body")
    jq -r .id <<<"$created" >>"$1"
    # Expect: (empty) drops curl's Expect: 100-continue, which waits a second per PUT for an
    # answer the gateway never sends: the baseline is curl at its best.
    curl -sf -X PUT "$(jq -r .upload.url <<<"$created")" -H 'Content-Type: audio/mpeg' -H "Content-MD5: $md5" \
      -H 'Expect:' --data-binary @"$f" -o /dev/null
  done
}

push_run() { # $1: ids file, $2: manifest, $3: GNU time output, then PATHs
  local ids=$1 manifest=$2 timing=$3
  shift 3
  /usr/bin/time -v -o "$timing" "$work/soundtime" push --api "$api" --manifest "$manifest" -j "$JOBS" "$@" \
    >"$work/links" 2>"$work/push.err" || { cat "$work/push.err" >&2; exit 1; }
  sed 's|.*/t/\([0-9A-Za-z]*\) .*|\1|' "$work/links" >>"$ids"
}

declare -a curl_s push_s ratios
for round in $(seq 1 "$ROUNDS"); do
  for who in $( ((round % 2)) && echo "curl push" || echo "push curl"); do
    ids=$work/ids-$who-$round
    : >"$ids"
    start=$(now)
    if [ "$who" = curl ]; then curl_run "$ids"; else push_run "$ids" "$work/manifest-$round.json" "$work/time-$round" "$work/lib"; fi
    secs=$(echo "$(now) - $start" | bc -l)
    [ "$(wc -l <"$ids")" = "$FILES" ] || { echo "bench-push: $who shared $(wc -l <"$ids") files, want $FILES" >&2; exit 1; }
    printf 'round %d: %-4s %6.2f s\n' "$round" "$who" "$secs"
    if [ "$who" = curl ]; then curl_s[$round]=$secs; else push_s[$round]=$secs; fi
    wait_ids "$ids"
  done
  ratios[$round]=$(echo "${push_s[$round]} / ${curl_s[$round]}" | bc -l)
  printf 'round %d: push / curl = %.3f\n' "$round" "${ratios[$round]}"
done

rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
small_rss=$(rss "$work/time-1")

# The same push with a BIG_MB WAV in place of one MP3: the big file goes in parts.
"$FFMPEG" -nostdin -loglevel error -f lavfi -i "sine=f=330:d=$((BIG_MB * 1048576 / 176400))" -ac 2 -ar 44100 -c:a pcm_s16le "$work/big/big.wav"
big_bytes=$(stat -c %s "$work/big/big.wav")
for f in $(ls "$work"/lib/*.mp3 | tail -n +2); do ln -s "$f" "$work/big/"; done
: >"$work/ids-big"
start=$(now)
push_run "$work/ids-big" "$work/manifest-big.json" "$work/time-big" "$work/big"
big_secs=$(echo "$(now) - $start" | bc -l)
big_rss=$(rss "$work/time-big")

echo
echo "push of $FILES files (-j $JOBS) vs curl one after another:"
for round in $(seq 1 "$ROUNDS"); do
  printf '  round %d: push %.2f s, curl %.2f s, ratio %.3f\n' "$round" "${push_s[$round]}" "${curl_s[$round]}" "${ratios[$round]}"
done
echo "peak RSS of push: $FILES MP3s ($((lib_bytes / 1048576)) MiB) $((small_rss / 1024)) MiB;" \
  "$((FILES - 1)) MP3s + a $((big_bytes / 1048576)) MiB WAV $((big_rss / 1024)) MiB (ratio $(printf %.3f "$(echo "$big_rss / $small_rss" | bc -l)")), in $(printf %.1f "$big_secs") s"
