#!/usr/bin/env python3
"""Times scale-from-zero on a running Serve host: the first request to a deployment at zero replicas (it is held,
wakes the autoscaler, which starts a replica that then serves it) against warm requests right after, on one
keep-alive HTTP/1.1 connection, so that neither pays for a TCP connect.

usage: scale_from_zero.py HTTP_PORT DASHBOARD_PORT ROUNDS WARM_PER_ROUND OUT_JSONL
Each round waits (through GET /api/serve/applications/) until the deployment runs no replica and none is
draining, then sends one request (cold) and WARM_PER_ROUND more (warm). A first round is run unrecorded, so that the
wake path is measured after its code was compiled, as on a host that has served before. Prints one summary line."""
import http.client
import json
import statistics
import sys
import time

APP, DEPLOYMENT, PATH, BODY = "bench", "NoopDeployment", "/bench/noop", b"ok"


def status(dashboard_port):
    conn = http.client.HTTPConnection("127.0.0.1", dashboard_port, timeout=10)
    try:
        conn.request("GET", "/api/serve/applications/")
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"status API answered {response.status}")
        return json.loads(data)["applications"][APP]["deployments"][DEPLOYMENT]
    finally:
        conn.close()


def wait_for_zero(dashboard_port, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while True:
        d = status(dashboard_port)
        if d["autoscaling_detail"]["current_num_replicas"] == 0 and not d["replicas"]:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"not at zero replicas within {timeout_s} s: {json.dumps(d)[:400]}")
        time.sleep(0.02)


def timed_request(conn):
    start = time.perf_counter_ns()
    conn.request("GET", PATH)
    response = conn.getresponse()
    body = response.read()
    elapsed_ms = (time.perf_counter_ns() - start) / 1e6
    if response.status != 200 or body != BODY:
        raise RuntimeError(f"GET {PATH} answered {response.status} {body[:200]!r}")
    return elapsed_ms


def percentile(values, p):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def main():
    http_port, dashboard_port, rounds, warm_per_round, out_path = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                                                   int(sys.argv[4]), sys.argv[5])
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
    colds, warms = [], []
    with open(out_path, "w") as out:
        for round_no in range(rounds + 1):
            wait_for_zero(dashboard_port)
            cold = timed_request(conn)
            warm = statistics.median(timed_request(conn) for _ in range(warm_per_round))
            # The replica the cold request started served the warm ones: the deployment is awake now.
            if status(dashboard_port)["autoscaling_detail"]["current_num_replicas"] != 1:
                raise RuntimeError("the deployment is not at one replica after the wake")
            if round_no == 0:
                continue  # unrecorded: the first wake also compiles the wake path
            colds.append(cold)
            warms.append(warm)
            out.write(json.dumps({"suite": "scale-from-zero", "rep": round_no, "cold_ms": round(cold, 3),
                                  "warm_ms": round(warm, 3)}) + "\n")
    conn.close()
    cold_p50, cold_p90 = statistics.median(colds), percentile(colds, 90)
    warm_p50 = statistics.median(warms)
    summary = {"suite": "scale-from-zero-summary", "rounds": rounds, "cold_p50_ms": round(cold_p50, 3),
               "cold_p90_ms": round(cold_p90, 3), "cold_min_ms": round(min(colds), 3), "cold_max_ms": round(max(colds), 3),
               "warm_p50_ms": round(warm_p50, 3), "ratio_p50": round(cold_p50 / warm_p50, 2),
               "ratio_p90": round(cold_p90 / warm_p50, 2)}
    with open(out_path, "a") as out:
        out.write(json.dumps(summary) + "\n")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
