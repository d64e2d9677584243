#!/usr/bin/env bash
# Serve benchmark suite (issue 4): builds Release, publishes Native AOT, runs every benchmark
# against its baseline in the same run, writes bench/RESULTS.md and bench/throughput.svg.
#   bench/run.sh           full run (~34 min on a 2-core machine, ~10 of them warm-up)
#   bench/run.sh --quick   smoke run (~8 min): fewer repetitions, shorter durations
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH/.." && pwd)"
OUT="$BENCH/out"
MODE=full
SRC_REF=""   # --src-ref REF: build Serve from `git archive REF` (plus the current bench/ projects), not the working tree
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) MODE=quick ;;
    --src-ref) SRC_REF=$2; shift ;;
    *) echo "usage: bench/run.sh [--quick] [--src-ref GIT_REF]" >&2; exit 2 ;;
  esac
  shift
done

if [[ $MODE == quick ]]; then
  REPS=2; DUR=2; WARM=1; CONC_REPS=1; CONC_DUR=1; STREAM_DUR=1; COLD_RUNS=3; SCALE_REPS=2; ECHO_DUR=2; LAT_DUR=2; WARM_LOAD=3
else
  REPS=5; DUR=5; WARM=1; CONC_REPS=3; CONC_DUR=3; STREAM_DUR=3; COLD_RUNS=7; SCALE_REPS=5; ECHO_DUR=3; LAT_DUR=3; WARM_LOAD=35
fi
CONCURRENCY=(1 4 16 64)
SCALE_N=(1 10 100 1000)
STREAM_MSGS=1000           # messages per streaming call
MAX_ONGOING=100000         # per replica: high enough that nothing queues
SAMPLE_CALLS=32            # gRPC calls checked through grpcio during each load run (sample_check.py)

PY=/usr/bin/python3        # Debian's python3 with grpcio (the first python3 on PATH may lack it)
# Servers run on one core, load generators and clients on the other, so that neither steals the other's CPU
# and the ratios measure the servers (SERVER_CPU / LOAD_CPU override the cores).
export SERVER_CPU=${SERVER_CPU:-0} LOAD_CPU=${LOAD_CPU:-1}
command -v taskset >/dev/null || { echo "taskset missing: apt-get install util-linux" >&2; exit 1; }
SRV=(taskset -c "$SERVER_CPU"); LOAD=(taskset -c "$LOAD_CPU")
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v h2load >/dev/null || { echo "h2load missing: apt-get install nghttp2-client" >&2; exit 1; }
$PY -c 'import grpc' 2>/dev/null || { echo "python3-grpcio missing: apt-get install python3-grpcio" >&2; exit 1; }

rm -rf "$OUT/run" && mkdir -p "$OUT/run"
RUN="$OUT/run"
RESULTS="$RUN/results.jsonl"
: > "$RESULTS"
COMMANDS="$RUN/commands.txt"
: > "$COMMANDS"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
record() { echo "$*" >> "$COMMANDS"; }
loadavg() { echo "{\"suite\":\"loadavg\",\"at\":\"$1\",\"value\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >> "$RESULTS"; }
START_TS=$(date +%s)
loadavg start

# ---------------------------------------------------------------- build
# Own artifacts paths so the suite never touches src/*/bin|obj that other builds use.
ART="$OUT/artifacts"; AOT_ART="$OUT/aot-artifacts"
PROJ="$BENCH"
if [[ -n $SRC_REF ]]; then
  # A snapshot of the repository at SRC_REF (read-only git use), with this bench/ copied in: measures a
  # known commit while src/ is being edited.
  TREE="$OUT/tree"; rm -rf "$TREE" "$ART" "$AOT_ART"; mkdir -p "$TREE/bench"
  git -C "$REPO" archive "$SRC_REF" | tar -x -C "$TREE"
  cp -r "$BENCH/Directory.Build.props" "$BENCH/Protos" "$BENCH/NoopServe" "$BENCH/BareKestrel" "$BENCH/GrpcAspNetCore" "$BENCH/BareHttp" "$BENCH/BenchClient" "$BENCH/HandleHop" "$TREE/bench/"
  PROJ="$TREE/bench"
  echo "{\"suite\":\"source\",\"value\":\"git archive $SRC_REF ($(git -C "$REPO" rev-parse --short "$SRC_REF"))\"}" >> "$RESULTS"
else
  echo "{\"suite\":\"source\",\"value\":\"working tree at $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- src && echo '' || echo ' + uncommitted src changes')\"}" >> "$RESULTS"
fi
log "build (Release, JIT)"
for p in NoopServe BareKestrel GrpcAspNetCore BareHttp BenchClient HandleHop; do
  dotnet build "$PROJ/$p/$p.csproj" -c Release -nologo -v q --artifacts-path "$ART" >"$RUN/build-$p.log" 2>&1 \
    || { cat "$RUN/build-$p.log"; exit 1; }
done
log "publish (Native AOT, net10.0)"
# The gRPC quickstart too: its cold start is what a user meets first.
QUICKSTART_DIR="${TREE:-$REPO}/samples/GrpcQuickstart"
for p in NoopServe BareKestrel GrpcQuickstart; do
  project="$PROJ/$p/$p.csproj"; [[ $p == GrpcQuickstart ]] && project="$QUICKSTART_DIR/GrpcQuickstart.csproj"
  # As .ci/aot-smoke: any IL2xxx/IL3xxx warning fails the suite (docs/aot.md: there are none).
  dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true \
    -nologo -v q --artifacts-path "$AOT_ART" -o "$OUT/aot/$p" >"$RUN/publish-$p.log" 2>&1 \
    || { cat "$RUN/publish-$p.log"; exit 1; }
  if grep -E 'warning IL[23][0-9]{3}' "$RUN/publish-$p.log"; then
    echo "AOT warnings in $p (above)" >&2; exit 1
  fi
done
record "dotnet build bench/{NoopServe,BareKestrel,GrpcAspNetCore,BareHttp,BenchClient,HandleHop} -c Release --artifacts-path bench/out/artifacts"
record "dotnet publish bench/{NoopServe,BareKestrel} samples/GrpcQuickstart -c Release -r linux-x64 -p:PublishAot=true -o bench/out/aot/<name>"
SERVE_DLL="$ART/bin/NoopServe/release/NoopServe.dll"
BARE_DLL="$ART/bin/BareKestrel/release/BareKestrel.dll"
GRPCNET_DLL="$ART/bin/GrpcAspNetCore/release/GrpcAspNetCore.dll"
BAREHTTP_DLL="$ART/bin/BareHttp/release/BareHttp.dll"
CLIENT_DLL="$ART/bin/BenchClient/release/BenchClient.dll"
HOP_DLL="$ART/bin/HandleHop/release/HandleHop.dll"
SERVE_AOT="$OUT/aot/NoopServe/NoopServe"
BARE_AOT="$OUT/aot/BareKestrel/BareKestrel"
QUICKSTART_AOT="$OUT/aot/GrpcQuickstart/GrpcQuickstart"
ls -l "$SERVE_AOT" "$BARE_AOT" "$QUICKSTART_AOT" > "$RUN/aot-sizes.txt"

# ---------------------------------------------------------------- helpers
# wait_idle: after unmeasured load, wait (up to 30 s) until the server core is idle. A JIT host keeps compiling its
# hot methods at tier 1 in the background after the load stops, and that work would land on whichever host is
# measured next (it showed as a slow first repetition for every host).
wait_idle() {
  local busy
  for _ in $(seq 1 30); do
    busy=$(awk -v c="cpu$SERVER_CPU" '$1 == c { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
    sleep 1
    busy=$(( $(awk -v c="cpu$SERVER_CPU" '$1 == c { print $2 + $3 + $4 + $7 + $8 }' /proc/stat) - busy ))
    (( busy <= 5 )) && return 0   # at most 5% of the core over that second (USER_HZ = 100)
  done
}
# warm <h2load args...>: WARM_LOAD seconds of unmeasured load, so that a JIT host is measured on its final code. With
# dynamic PGO a hot method runs instrumented code until its profile is in, then waits for a background compile, and on
# one core the runtime stretches its tiering delay (DOTNET_TC_DelaySingleProcMultiplier, 10 by default): a Serve host
# under full load serves ~105k calls/s for 10 s, drops to ~80k while compiling, and reaches its ~215k after 30-35 s.
# The earlier 3 s warm-up left every host's first repetition at about half speed.
warm() { "${LOAD[@]}" h2load -D "$WARM_LOAD" "$@" > /dev/null 2>&1 || true; }
# Servers listen on 20xxx, below Linux's ephemeral range (32768-60999): a port in that range can be held
# by one of the clients' outgoing connections (or its TIME_WAIT) and fail a server's bind now and then.
# config <num_replicas> <grpc_port> <http_port> -> path of a Serve config
config() {
  local f="$RUN/serve-$1r-$2.yaml"
  cat > "$f" <<YAML
proxy_location: EveryNode
http_options:
  host: 127.0.0.1
  port: $3
grpc_options:
  port: $2
  grpc_servicer_functions:
    - servebench.Noop
logging_config:
  log_level: WARNING
  enable_access_log: false   # bare Kestrel logs nothing either
applications:
  - name: bench
    route_prefix: /bench
    import_path: NoopServe.Applications:Noop
    deployments:
      - name: NoopDeployment
        num_replicas: $1
        max_ongoing_requests: $MAX_ONGOING
YAML
  echo "$f"
}

declare -A PIDS=()
cleanup() { for k in "${!PIDS[@]}"; do kill "${PIDS[$k]}" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# start <name> <port> <cmd...>: starts a server, waits until the Python grpcio check passes.
start() {
  local name=$1 port=$2; shift 2
  "${SRV[@]}" "$@" >"$RUN/server-$name.log" 2>&1 &
  PIDS[$name]=$!
  record "server $name: $*"
  for _ in $(seq 1 300); do
    if $PY "$BENCH/scripts/grpc_check.py" "127.0.0.1:$port" >/dev/null 2>&1; then return 0; fi
    kill -0 "${PIDS[$name]}" 2>/dev/null || { cat "$RUN/server-$name.log"; echo "$name exited" >&2; exit 1; }
    sleep 0.2
  done
  echo "$name not ready" >&2; exit 1
}
# start_http <name> <port> <cmd...>: as start, for the HTTP baseline (ready when http_check.py passes).
start_http() {
  local name=$1 port=$2; shift 2
  "${SRV[@]}" "$@" >"$RUN/server-$name.log" 2>&1 &
  PIDS[$name]=$!
  record "server $name: $*"
  for _ in $(seq 1 300); do
    if $PY "$BENCH/scripts/http_check.py" "127.0.0.1:$port" >/dev/null 2>&1; then return 0; fi
    kill -0 "${PIDS[$name]}" 2>/dev/null || { cat "$RUN/server-$name.log"; echo "$name exited" >&2; exit 1; }
    sleep 0.2
  done
  echo "$name not ready" >&2; exit 1
}
stop() { kill "${PIDS[$1]}" 2>/dev/null || true; wait "${PIDS[$1]}" 2>/dev/null || true; unset "PIDS[$1]"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/${PIDS[$1]}/status"; }

# check <port>: one real call of each RPC through Python grpcio; the status must be OK.
check() { $PY "$BENCH/scripts/grpc_check.py" "127.0.0.1:$1" >/dev/null || { echo "grpc-status check failed on port $1" >&2; exit 1; }; }

# The headers every gRPC request of the suite carries.
GRPC_H=(-H 'content-type: application/grpc' -H 'te: trailers')
# h2 <suite> <target> <rep> <port> <c> <m> <seconds>: unary no-op Call; with LATENCY=1 also a latency run.
h2() {
  local suite=$1 target=$2 rep=$3 port=$4 c=$5 m=$6 d=$7
  check "$port"
  h2run "$suite" "$target" "$rep" "c=$c,m=$m" "$d" -c "$c" -m "$m" -d "$OUT/empty.bin" \
    "${GRPC_H[@]}" "http://127.0.0.1:$port/servebench.Noop/Call"
}
printf '\x00\x00\x00\x00\x00' > "$OUT/empty.bin"   # a framed, empty protobuf message

# check_http <port> [body file]: one real GET /bench/noop (200, "ok") and POST /bench/echo (200, same bytes).
check_http() { $PY "$BENCH/scripts/http_check.py" "127.0.0.1:$1" ${2:+"$2"} >/dev/null || { echo "HTTP check failed on port $1" >&2; exit 1; }; }
# check_echo <port> <framed file>: one real gRPC Echo of the file's message (status OK, same bytes back).
check_echo() { $PY "$BENCH/scripts/grpc_check.py" "127.0.0.1:$1" "$2" >/dev/null || { echo "gRPC echo check failed on port $1" >&2; exit 1; }; }

# ticks <pid>: CPU time (user + system) of a process so far, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# cpu_window <h2load pid> <server port> <d>: CPU ticks of the server listening on <port> and of h2load over the
# measured part of a run (from warm-up + 0.25 s to 0.25 s before its end), then that window's length in seconds.
# Both share the cores, so a server whose responses cost the client more to decode lowers throughput too.
cpu_window() {
  local h2=$1 port=$2 d=$3 srv s0 c0 t0 s1 c1 t1
  srv=$(ss -Hltnp "sport = :$port" | grep -oP 'pid=\K\d+' | head -n 1)
  sleep "$(awk -v w="$WARM" 'BEGIN { print w + 0.25 }')"
  s0=$(ticks "$srv"); c0=$(ticks "$h2"); t0=$(date +%s.%N)
  sleep "$(awk -v d="$d" 'BEGIN { print d - 0.5 }')"
  s1=$(ticks "$srv"); c1=$(ticks "$h2"); t1=$(date +%s.%N)
  echo "$((s1 - s0)) $((c1 - c0)) $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}
# h2run <suite> <target> <rep> <params> <seconds> <h2load args...>: one h2load measurement into results.jsonl.
# Throughput comes from a run without --log-file: writing one log line per request costs single-threaded h2load
# so much that it caps at ~60-70k req/s here, while bare Kestrel serves ~200k no-op gRPC calls/s. With
# LATENCY=1 a second run of LAT_DUR seconds writes the per-request log for p50/p99 (h2load prints no percentiles).
h2run() {
  local suite=$1 target=$2 rep=$3 params=$4 d=$5; shift 5
  local base="$RUN/h2-$suite-$target-${params//[=,]/_}-$rep"
  local cmd=("${LOAD[@]}" h2load -D "$d" --warm-up-time="$WARM" "$@")
  [[ $rep == 1 ]] && record "$(printf "%q " "${cmd[@]}")"
  # A gRPC run also gets SAMPLE_CALLS of the same call through grpcio while the load runs (a third into the
  # measured part): h2load counts a 200 as success even when the trailers carry an error status.
  "${LOAD[@]}" $PY "$BENCH/scripts/sample_check.py" "$(awk -v w="$WARM" -v d="$d" 'BEGIN { print w + d / 3 }')" "$SAMPLE_CALLS" -- "$@" \
    > "$base-sample.out" 2>&1 &
  local sampler=$!
  "${cmd[@]}" > "$base.out" 2>&1 &
  local h2pid=$!
  local url=${*: -1}; local port=${url#*://*:}; port=${port%%/*}
  cpu_window "$h2pid" "$port" "$d" > "$base-cpu.out"
  wait "$h2pid"
  wait "$sampler" || { cat "$base-sample.out"; echo "status check under load failed: $base" >&2; exit 1; }
  cat "$base-sample.out" >> "$RESULTS"
  if [[ ${LATENCY:-0} == 1 ]]; then
    local lat=("${LOAD[@]}" h2load -D "$LAT_DUR" --warm-up-time="$WARM" --log-file="$base.tsv" "$@")
    [[ $rep == 1 ]] && record "$(printf "%q " "${lat[@]}")"
    "${lat[@]}" > "$base-lat.out" 2>&1
    $PY "$BENCH/scripts/h2parse.py" --cpu="$base-cpu.out" "$suite" "$target" "$rep" "$params" "$base.out" "$base-lat.out" "$base.tsv" >> "$RESULTS"
  else
    $PY "$BENCH/scripts/h2parse.py" --cpu="$base-cpu.out" "$suite" "$target" "$rep" "$params" "$base.out" >> "$RESULTS"
  fi
  rm -f "$base.tsv"
}

# Echo payloads: the same bytes as a raw HTTP body and as a framed servebench.Blob (small: 16 B; 1mb: 1 MiB).
$PY - "$OUT" <<'PYEOF'
import struct, sys
def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if not n:
            return out + bytes([b])
        out += bytes([b | 0x80])
for name, size in (("small", 16), ("1mb", 1 << 20)):
    data = bytes((i * 7 + 3) & 0xFF for i in range(size))
    open(f"{sys.argv[1]}/echo-http-{name}.bin", "wb").write(data)
    msg = b"\x0a" + varint(size) + data   # Blob{data = 1}
    open(f"{sys.argv[1]}/echo-grpc-{name}.bin", "wb").write(b"\x00" + struct.pack(">I", len(msg)) + msg)
# The batching benchmark's input: a servebench.Features of 2048 floats (packed field 1, 8192 bytes).
values = struct.pack("<2048f", *[((i * 37) % 101) / 101 - 0.5 for i in range(2048)])
msg = b"\x0a" + varint(len(values)) + values
open(f"{sys.argv[1]}/features.bin", "wb").write(b"\x00" + struct.pack(">I", len(msg)) + msg)
PYEOF

# ---------------------------------------------------------------- 1. unary no-op + chart
log "unary: bare and plain Grpc.AspNetCore vs Serve (1 and 4 replicas), h2load -c 16 -m 10, $REPS x ${DUR}s"
start bare 20061 dotnet "$BARE_DLL" 20061
# What a .NET developer would write without Serve: a Grpc.AspNetCore service of the same .proto (JIT, like the other unary targets).
start grpc-aspnetcore 20063 dotnet "$GRPCNET_DLL" 20063
# Bare with the metadata every Serve gRPC response carries by contract (see BareKestrel/Program.cs): splits Serve's
# gap to bare into what the contract costs and what Serve's own work costs.
start bare-ray 20065 dotnet "$BARE_DLL" 20065 --ray-metadata
start serve1 20051 dotnet "$SERVE_DLL" run "$(config 1 20051 20052)" --dashboard-port -1
start serve4 20053 dotnet "$SERVE_DLL" run "$(config 4 20053 20054)" --dashboard-port -1
# The order rotates with each repetition: a target run right after another host's load sees a machine in a
# different state (caches, the other process's threads winding down), and a fixed order put that on one target.
UNARY_TARGETS=(bare:20061 grpc-aspnetcore:20063 serve-1r:20051 bare-ray:20065 serve-4r:20053)
# Unmeasured load first: the JIT hosts finish tiering up under load here, not in their first repetition.
for t in "${UNARY_TARGETS[@]}"; do
  warm -c 16 -m 10 -d "$OUT/empty.bin" "${GRPC_H[@]}" "http://127.0.0.1:${t##*:}/servebench.Noop/Call"
done
wait_idle
for rep in $(seq 1 "$REPS"); do
  for i in "${!UNARY_TARGETS[@]}"; do
    t=${UNARY_TARGETS[(i + rep - 1) % ${#UNARY_TARGETS[@]}]}
    LATENCY=1 h2 unary "${t%%:*}" "$rep" "${t##*:}" 16 10 "$DUR"
  done
done
stop grpc-aspnetcore; stop bare-ray   # the unary suite is their only use
loadavg after-unary
log "throughput vs concurrency (h2load -m 1 -c ${CONCURRENCY[*]})"
for rep in $(seq 1 "$CONC_REPS"); do
  for c in "${CONCURRENCY[@]}"; do
    # One call in flight is the latency a lone client sees, without queueing behind other calls.
    lat=0; [[ $c == 1 ]] && lat=1
    LATENCY=$lat h2 conc bare "$rep" 20061 "$c" 1 "$CONC_DUR"
    LATENCY=$lat h2 conc serve-1r "$rep" 20051 "$c" 1 "$CONC_DUR"
  done
done
stop serve4

# ---------------------------------------------------------------- 1b. HTTP no-op, gRPC vs HTTP echo
# Serve-1 answers HTTP/1.1 on its http_options port (route_prefix /bench); BareHttp is a minimal API serving the same paths.
log "HTTP no-op: bare minimal API vs Serve HTTP proxy, h2load --h1 -c 16, $REPS x ${DUR}s"
start_http barehttp 20081 dotnet "$BAREHTTP_DLL" 20081
for t in bare-http:20081 serve-1r:20052; do warm --h1 -c 16 -m 1 "http://127.0.0.1:${t##*:}/bench/noop"; done
wait_idle
for rep in $(seq 1 "$REPS"); do
  for t in bare-http:20081 serve-1r:20052; do
    check_http "${t##*:}"
    LATENCY=1 h2run http "${t%%:*}" "$rep" "c=16" "$DUR" --h1 -c 16 -m 1 "http://127.0.0.1:${t##*:}/bench/noop"
  done
done
loadavg after-http
# 16 requests in flight either way. HTTP/1.1 needs a connection per request in flight; gRPC is measured both with
# one call per connection (-c 16 -m 1: the same connections as HTTP) and the way gRPC clients send calls, all on
# one channel (-c 1 -m 16: one HTTP/2 connection, 16 concurrent streams; targets *-grpc-channel).
log "gRPC vs HTTP echo (16 B and 1 MiB), 16 in flight: gRPC -c 16 -m 1 and -c 1 -m 16, HTTP -c 16, $REPS x ${ECHO_DUR}s"
for t in 20061 20051; do warm -c 1 -m 16 -d "$OUT/echo-grpc-small.bin" "${GRPC_H[@]}" "http://127.0.0.1:$t/servebench.Noop/Echo"; done
for t in 20081 20052; do warm --h1 -c 16 -m 1 -d "$OUT/echo-http-small.bin" -H 'content-type: application/octet-stream' "http://127.0.0.1:$t/bench/echo"; done
wait_idle
for size in small 1mb; do
  for rep in $(seq 1 "$REPS"); do
    for t in bare-grpc:20061 serve-grpc:20051; do
      check_echo "${t##*:}" "$OUT/echo-grpc-$size.bin"
      for shape in "-c 16 -m 1:" "-c 1 -m 16:-channel"; do
        # shellcheck disable=SC2086 # the shape is two h2load options
        h2run echo "${t%%:*}${shape#*:}" "$rep" "size=$size" "$ECHO_DUR" ${shape%%:*} -d "$OUT/echo-grpc-$size.bin" \
          "${GRPC_H[@]}" "http://127.0.0.1:${t##*:}/servebench.Noop/Echo"
      done
    done
    for t in bare-http:20081 serve-http:20052; do
      check_http "${t##*:}" "$OUT/echo-http-$size.bin"
      h2run echo "${t%%:*}" "$rep" "size=$size" "$ECHO_DUR" --h1 -c 16 -m 1 -d "$OUT/echo-http-$size.bin" \
        -H 'content-type: application/octet-stream' "http://127.0.0.1:${t##*:}/bench/echo"
    done
  done
done
stop barehttp
loadavg after-echo

# ---------------------------------------------------------------- 2. server streaming
log "server streaming: 1 and 16 streams x $STREAM_MSGS messages per call"
for rep in $(seq 1 "$REPS"); do
  for streams in 1 16; do
    for t in bare:20061 serve-1r:20051; do
      target=${t%%:*}; port=${t##*:}
      check "$port"
      line=$("${LOAD[@]}" dotnet "$CLIENT_DLL" stream "http://127.0.0.1:$port" "$streams" "$STREAM_MSGS" "$STREAM_DUR")
      [[ $rep == 1 ]] && record "dotnet BenchClient.dll stream http://127.0.0.1:$port $streams $STREAM_MSGS $STREAM_DUR"
      mps=$(sed -n 's/.*msgs_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
      echo "{\"suite\":\"stream\",\"target\":\"$target\",\"rep\":$rep,\"params\":\"streams=$streams\",\"mps\":$mps}" >> "$RESULTS"
    done
  done
done
stop serve1; stop bare
loadavg after-stream

# ---------------------------------------------------------------- 2b. composition: chain of 3 deployments vs one
# Apps "single" (one deployment runs three stages of work) and "chain" (three deployments, one stage each, calling
# each other through handles) serve servebench.Chain on one host; h2load picks the app with `application` metadata.
log "composition: 3-deployment chain vs 1 deployment, same work, h2load -c 16 -m 10, $REPS x ${DUR}s"
CHAIN_CFG="$RUN/serve-chain.yaml"
cat > "$CHAIN_CFG" <<YAML
proxy_location: EveryNode
http_options: {host: 127.0.0.1, port: 20096}
grpc_options:
  port: 20095
  grpc_servicer_functions: [servebench.Chain]
logging_config: {log_level: WARNING, enable_access_log: false}
applications:
  - name: single
    route_prefix: /single
    import_path: NoopServe.Applications:Single
    deployments:
      - {name: SingleStageDeployment, max_ongoing_requests: $MAX_ONGOING}
  - name: chain
    route_prefix: /chain
    import_path: NoopServe.Applications:Chain
    deployments:
      - {name: ChainIngressDeployment, max_ongoing_requests: $MAX_ONGOING}
      - {name: ChainMiddleDeployment, max_ongoing_requests: $MAX_ONGOING}
      - {name: ChainLastDeployment, max_ongoing_requests: $MAX_ONGOING}
YAML
"${SRV[@]}" dotnet "$SERVE_DLL" run "$CHAIN_CFG" --dashboard-port -1 >"$RUN/server-chain.log" 2>&1 &
PIDS[chain]=$!
record "server chain: dotnet NoopServe.dll run serve-chain.yaml --dashboard-port -1"
chain_check() { $PY "$BENCH/scripts/chain_check.py" 127.0.0.1:20095 "$OUT/echo-grpc-small.bin" single chain; }
for _ in $(seq 1 300); do chain_check >/dev/null 2>&1 && break; sleep 0.2; done
chain_check >/dev/null || { cat "$RUN/server-chain.log"; echo "composition check failed" >&2; exit 1; }
for app in single chain; do
  warm -c 16 -m 10 -d "$OUT/echo-grpc-small.bin" "${GRPC_H[@]}" -H "application: $app" "http://127.0.0.1:20095/servebench.Chain/Run"
done
wait_idle
for rep in $(seq 1 "$REPS"); do
  for app in single chain; do
    chain_check >/dev/null || { echo "composition check failed" >&2; exit 1; }
    LATENCY=1 h2run compose "$app" "$rep" "c=16,m=10" "$DUR" -c 16 -m 10 -d "$OUT/echo-grpc-small.bin" \
      "${GRPC_H[@]}" -H "application: $app" "http://127.0.0.1:20095/servebench.Chain/Run"
  done
done
stop chain
loadavg after-compose

# ---------------------------------------------------------------- 2c. in-process handle hop vs direct call
# One process, no network: a handle call (router, replica slot, request context, thread-pool hop) against calling the
# same method on an instance directly, sequentially and with 64 concurrent callers. Every result is checked.
HOP_CALLS=$([[ $MODE == quick ]] && echo 50000 || echo 200000)
log "handle hop: $REPS x $HOP_CALLS calls, direct vs handle"
record "dotnet HandleHop.dll $REPS $HOP_CALLS"
"${SRV[@]}" dotnet "$HOP_DLL" "$REPS" "$HOP_CALLS" >> "$RESULTS"
loadavg after-hop

# ---------------------------------------------------------------- 2d. batching: the same model with and without [Batch]
# Apps "unbatched" (one forward pass per call) and "batched" ([Batch(MaxBatchSize = 16, BatchWaitTimeoutS = 0.002,
# MaxConcurrentBatches = 2)]) serve servebench.Scorer on one host, 64 calls in flight (h2load -c 16 -m 4).
log "batching: [Batch] vs one call at a time, same model, 64 in flight, $REPS x ${DUR}s"
SCORE_CFG="$RUN/serve-score.yaml"
cat > "$SCORE_CFG" <<YAML
proxy_location: EveryNode
http_options: {host: 127.0.0.1, port: 20098}
grpc_options:
  port: 20097
  grpc_servicer_functions: [servebench.Scorer]
logging_config: {log_level: WARNING, enable_access_log: false}
applications:
  - name: unbatched
    route_prefix: /unbatched
    import_path: NoopServe.Applications:Unbatched
    deployments:
      - {name: ScoreDeployment, max_ongoing_requests: 64}
  - name: batched
    route_prefix: /batched
    import_path: NoopServe.Applications:Batched
    deployments:
      - {name: BatchedScoreDeployment, max_ongoing_requests: 64}
YAML
"${SRV[@]}" dotnet "$SERVE_DLL" run "$SCORE_CFG" --dashboard-port -1 >"$RUN/server-score.log" 2>&1 &
PIDS[score]=$!
record "server score: dotnet NoopServe.dll run serve-score.yaml --dashboard-port -1"
score_check() { $PY "$BENCH/scripts/score_check.py" 127.0.0.1:20097 "$OUT/features.bin" unbatched batched; }
for _ in $(seq 1 300); do score_check >/dev/null 2>&1 && break; sleep 0.2; done
score_check >/dev/null || { cat "$RUN/server-score.log"; echo "batching check failed" >&2; exit 1; }
for app in unbatched batched; do
  warm -c 16 -m 4 -d "$OUT/features.bin" "${GRPC_H[@]}" -H "application: $app" "http://127.0.0.1:20097/servebench.Scorer/Score"
done
wait_idle
for rep in $(seq 1 "$REPS"); do
  for app in unbatched batched; do
    score_check >/dev/null || { echo "batching check failed" >&2; exit 1; }
    LATENCY=1 h2run batch "$app" "$rep" "c=16,m=4" "$DUR" -c 16 -m 4 -d "$OUT/features.bin" \
      "${GRPC_H[@]}" -H "application: $app" "http://127.0.0.1:20097/servebench.Scorer/Score"
  done
done
stop score
loadavg after-batch

# ---------------------------------------------------------------- 3. cold start + idle RSS
log "cold start: exec -> first OK, JIT and AOT, $COLD_RUNS runs each"
COLD_CFG=$(config 1 20071 20072)
coldstart() {
  local target=$1; shift
  # The client (on the load core) starts the server (on the server core) and times exec -> first OK.
  local probe=()
  if [[ $1 == --rpc ]]; then probe=(--rpc "$2"); shift 2; fi
  local cmd=("${LOAD[@]}" dotnet "$CLIENT_DLL" coldstart 20071 "$COLD_RUNS" 1000 "${probe[@]}" "${SRV[@]}" "$@")
  record "${cmd[*]}"
  "${cmd[@]}" > "$RUN/cold-$target.out"
  local i=0
  while read -r line; do
    i=$((i+1))
    ms=$(sed -n 's/.*first_ok_ms=\([0-9.]*\).*/\1/p' <<<"$line"); kb=$(sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p' <<<"$line")
    echo "{\"suite\":\"cold\",\"target\":\"$target\",\"rep\":$i,\"first_ok_ms\":$ms,\"rss_kb\":$kb}" >> "$RESULTS"
  done < "$RUN/cold-$target.out"
}
# Alternate the four variants in rounds so drift in machine load hits all of them alike.
ROUNDS=$(( COLD_RUNS >= 5 ? 3 : 1 )); PER=$(( (COLD_RUNS + ROUNDS - 1) / ROUNDS ))
SAVE_RUNS=$COLD_RUNS; COLD_RUNS=$PER
for r in $(seq 1 $ROUNDS); do
  coldstart bare-aot "$BARE_AOT" 20071
  coldstart serve-aot "$SERVE_AOT" run "$COLD_CFG"
  # The quickstart's app1 (GrpcDeployment, 2 replicas), probed with its own __call__.
  coldstart quickstart-aot --rpc userdefinedprotos.UserDefinedService/__call__ "$QUICKSTART_AOT" run \
    "$QUICKSTART_DIR/single-app.yaml" --grpc-port 20071 --http-port 20072 --dashboard-port -1
  coldstart bare-jit dotnet "$BARE_DLL" 20071
  coldstart serve-jit dotnet "$SERVE_DLL" run "$COLD_CFG"
done
COLD_RUNS=$SAVE_RUNS
loadavg after-cold

# ---------------------------------------------------------------- 4. scale: 1..1000 replicas
log "scale: ${SCALE_N[*]} replicas (JIT host), $SCALE_REPS x ${DUR}s each"
i=0
for n in "${SCALE_N[@]}"; do
  port=$((20100 + 2*i)); i=$((i+1))
  start "scale$n" "$port" dotnet "$SERVE_DLL" run "$(config "$n" "$port" $((port+1)))" --dashboard-port -1
  sleep 1
  echo "{\"suite\":\"scale-rss\",\"target\":\"serve-${n}r\",\"n\":$n,\"rss_kb\":$(rss_kb "scale$n")}" >> "$RESULTS"
done
i=0
for n in "${SCALE_N[@]}"; do
  port=$((20100 + 2*i)); i=$((i+1))
  warm -c 16 -m 10 -d "$OUT/empty.bin" "${GRPC_H[@]}" "http://127.0.0.1:$port/servebench.Noop/Call"
done
wait_idle
for rep in $(seq 1 "$SCALE_REPS"); do
  i=0
  for n in "${SCALE_N[@]}"; do
    port=$((20100 + 2*i)); i=$((i+1))
    h2 scale "serve-${n}r" "$rep" "$port" 16 10 "$DUR"
  done
done
for n in "${SCALE_N[@]}"; do stop "scale$n"; done
loadavg end

# ---------------------------------------------------------------- report
ELAPSED=$(( $(date +%s) - START_TS ))
$PY "$BENCH/scripts/report.py" --src-ref "${SRC_REF:-}" --results "$RESULTS" --commands "$COMMANDS" --aot-sizes "$RUN/aot-sizes.txt" \
  --mode "$MODE" --elapsed "$ELAPSED" --md "$BENCH/RESULTS.md" --svg "$BENCH/throughput.svg"
log "done in ${ELAPSED}s: bench/RESULTS.md, bench/throughput.svg (raw data: bench/out/run/)"
