#!/usr/bin/python3
"""Turns one h2load run into one JSON line: throughput from h2load's summary, p50/p99 from its
per-request --log-file (h2load's summary has min/max/mean/sd only).

Usage: h2parse.py SUITE TARGET REP PARAMS H2LOAD_STDOUT LOG_FILE >> results.jsonl
Fails (exit 1) when any request was not an HTTP 2xx success.
"""
import json
import re
import sys


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def main() -> int:
    suite, target, rep, params, out_path, log_path = sys.argv[1:7]
    text = open(out_path, encoding="utf-8").read()
    rps = float(re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", text).group(1))
    req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", text)
    total, done, succeeded, failed, errored, timeout = (int(req.group(i)) for i in (1, 3, 4, 5, 6, 7))
    codes = re.search(r"status codes: (\d+) 2xx", text)
    ok2xx = int(codes.group(1))
    durations = []
    with open(log_path, encoding="utf-8") as log:
        for line in log:
            parts = line.split("\t")
            if len(parts) >= 3 and parts[1] == "200":
                durations.append(int(parts[2]))
    durations.sort()
    row = {
        "suite": suite, "target": target, "rep": int(rep), "params": params,
        "rps": rps, "requests": total, "succeeded": succeeded, "ok2xx": ok2xx,
        "failed": failed + errored + timeout,
        "p50_us": percentile(durations, 0.50), "p99_us": percentile(durations, 0.99),
    }
    print(json.dumps(row))
    if failed or errored or timeout or ok2xx != succeeded or succeeded == 0:
        print(f"h2load run had failures: {row}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
