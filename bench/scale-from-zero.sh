#!/usr/bin/env bash
# Scale-from-zero wake latency (about a minute, most of it the build): the benchmark host (NoopServe, JIT) serves a
# no-op HTTP deployment autoscaled with min_replicas 0. Each round waits until the deployment runs no replica, then
# times the first request (held while it wakes the deployment, served by the replica it starts) against warm
# requests right after, on one keep-alive connection. Server and client run on different cores, as in bench/run.sh.
#   bench/scale-from-zero.sh [ROUNDS]    default 20 rounds (after one unrecorded round)
# Writes bench/out/scale-from-zero/results.jsonl (one line per round, then a summary) and prints the summary:
# median and p90 of the cold request, median of the warm ones, and their ratios.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$BENCH/out/scale-from-zero"
ROUNDS=${1:-20}
WARM_PER_ROUND=5
HTTP_PORT=20181; DASHBOARD_PORT=20182   # below Linux's ephemeral range, as the suite's servers
export SERVER_CPU=${SERVER_CPU:-0} LOAD_CPU=${LOAD_CPU:-1}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v taskset >/dev/null || { echo "taskset missing: apt-get install util-linux" >&2; exit 1; }
PY=/usr/bin/python3; [[ -x $PY ]] || PY=python3   # the standard library is enough here
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

mkdir -p "$OUT"
ART="$BENCH/out/artifacts"   # bench/run.sh's build output: one build serves both
log "build NoopServe (Release, JIT)"
dotnet build "$BENCH/NoopServe/NoopServe.csproj" -c Release -nologo -v q --artifacts-path "$ART" >"$OUT/build.log" 2>&1 \
  || { cat "$OUT/build.log"; exit 1; }
SERVE_DLL="$ART/bin/NoopServe/release/NoopServe.dll"

# Small delays so a round takes under a second: the reading falls to 0 within look_back_period_s of the last
# request, and the deployment goes 1 -> 0 downscale_to_zero_delay_s later. upscale_delay_s plays no part: scaling up
# from zero with a request waiting is immediate (Ray's rule).
CFG="$OUT/serve.yaml"
cat > "$CFG" <<YAML
proxy_location: EveryNode
http_options: {host: 127.0.0.1, port: $HTTP_PORT}
logging_config: {log_level: WARNING, enable_access_log: false}
applications:
  - name: bench
    route_prefix: /bench
    import_path: NoopServe.Applications:Noop
    deployments:
      - name: NoopDeployment
        max_ongoing_requests: 100
        autoscaling_config:
          min_replicas: 0
          max_replicas: 1
          target_ongoing_requests: 1
          metrics_interval_s: 0.1
          look_back_period_s: 0.3
          downscale_delay_s: 0.3
          downscale_to_zero_delay_s: 0.3
YAML

taskset -c "$SERVER_CPU" dotnet "$SERVE_DLL" run "$CFG" --dashboard-port "$DASHBOARD_PORT" >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$DASHBOARD_PORT/api/serve/applications/" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { cat "$OUT/server.log"; echo "server exited" >&2; exit 1; }
  sleep 0.2
done

log "scale from zero: $ROUNDS rounds (+1 unrecorded), cold request vs $WARM_PER_ROUND warm ones each"
taskset -c "$LOAD_CPU" "$PY" "$BENCH/scripts/scale_from_zero.py" "$HTTP_PORT" "$DASHBOARD_PORT" "$ROUNDS" "$WARM_PER_ROUND" \
  "$OUT/results.jsonl"
echo "{\"suite\":\"source\",\"value\":\"working tree at $(git -C "$BENCH" rev-parse --short HEAD)\",\"cpus\":\"server $SERVER_CPU, client $LOAD_CPU\"}" >> "$OUT/results.jsonl"
