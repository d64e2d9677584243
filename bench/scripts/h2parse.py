#!/usr/bin/python3
"""Turns one h2load measurement into one JSON line: throughput and mean latency from h2load's summary of
a run WITHOUT --log-file, and, when given, p50/p99 from the per-request --log-file of a second, latency run
(h2load's summary has min/max/mean/sd only). The two runs are separate because writing the log file costs
h2load (single-threaded) so much that it caps a no-op gRPC server at ~60-70k req/s on this machine, far
below what Kestrel serves (~200k): throughput measured with the log on is the load generator's.

With --cpu=FILE (a line "SERVER_TICKS CLIENT_TICKS SECONDS": CPU time of the server and of h2load over part of
the measured window, in clock ticks), the row also gets each side's CPU time per call in microseconds.

Usage: h2parse.py [--cpu=FILE] SUITE TARGET REP PARAMS H2LOAD_STDOUT [LATENCY_RUN_STDOUT LOG_FILE] >> results.jsonl
Fails (exit 1) when any request failed or got a non-2xx status.
"""
import json
import os
import re
import sys


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def summary(path):
    """(rps, total, succeeded, ok2xx, failures, mean_us) of one h2load stdout; failures counts anything not a 2xx."""
    text = open(path, encoding="utf-8").read()
    rps = float(re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", text).group(1))
    req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", text)
    total, succeeded, failed, errored, timeout = (int(req.group(i)) for i in (1, 4, 5, 6, 7))
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    ok2xx = int(codes.group(1))
    non2xx = sum(int(codes.group(i)) for i in (2, 3, 4))
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\s", text)
    mean_us = float(mean.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[mean.group(2)] if mean else None
    # h2load counts a status code when the response headers arrive, but a success when the response ends: a
    # response whose headers came during the warm-up and whose body ended after it (1 MiB bodies) is a success
    # without a counted status (and at the end the reverse). So: no non-2xx at all, and the two counts differ by at
    # most the requests in flight at a boundary.
    bad = bool(failed or errored or timeout or non2xx or abs(succeeded - ok2xx) > 16 or succeeded == 0)
    return rps, total, succeeded, ok2xx, failed + errored + timeout + non2xx, mean_us, bad


def cpu_per_call(path, rps):
    """(server, client) CPU microseconds per call, from ticks over a window of the run at its measured rate."""
    server_ticks, client_ticks, seconds = open(path, encoding="utf-8").read().split()
    calls = rps * float(seconds)
    us_per_tick = 1e6 / os.sysconf("SC_CLK_TCK")
    return (int(server_ticks) * us_per_tick / calls, int(client_ticks) * us_per_tick / calls) if calls > 0 else (None, None)


def main() -> int:
    cpu = [a[len("--cpu="):] for a in sys.argv[1:] if a.startswith("--cpu=")]
    sys.argv[1:] = [a for a in sys.argv[1:] if not a.startswith("--cpu=")]
    suite, target, rep, params, out_path = sys.argv[1:6]
    rps, total, succeeded, ok2xx, failures, mean_us, bad = summary(out_path)
    row = {
        "suite": suite, "target": target, "rep": int(rep), "params": params,
        "rps": rps, "requests": total, "succeeded": succeeded, "ok2xx": ok2xx, "failed": failures, "mean_us": mean_us,
    }
    if cpu:
        row["server_cpu_us"], row["client_cpu_us"] = cpu_per_call(cpu[0], rps)
    if len(sys.argv) > 7:
        lat_out, log_path = sys.argv[6:8]
        lat = summary(lat_out)
        bad = bad or lat[6]
        durations = []
        with open(log_path, encoding="utf-8") as log:
            for line in log:
                parts = line.split("\t")
                if len(parts) >= 3 and parts[1] == "200":
                    durations.append(int(parts[2]))
        durations.sort()
        row.update({"p50_us": percentile(durations, 0.50), "p99_us": percentile(durations, 0.99),
                    "latency_run_rps": lat[0], "latency_run_requests": lat[1]})
    print(json.dumps(row))
    if bad:
        print(f"h2load run had failures: {row}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
