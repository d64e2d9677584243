#!/usr/bin/python3
"""Checks one real HTTP/1.1 response of each benchmark route before a load run (stdlib only).

Usage: /usr/bin/python3 http_check.py HOST:PORT [ECHO_BODY_FILE]
GET /bench/noop must answer 200 with body "ok"; POST /bench/echo (with the file's bytes, or a few
bytes without one) must answer 200 with exactly the bytes sent. Exits 0 only when both hold, so
the 2xx responses h2load counts afterwards are known to be real answers, not error pages.
"""
import http.client
import sys


def main() -> int:
    host, port = sys.argv[1].rsplit(":", 1)
    body = open(sys.argv[2], "rb").read() if len(sys.argv) > 2 else b"echo"
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/bench/noop")
    r = conn.getresponse()
    noop = r.read()
    noop_ok = r.status == 200 and noop == b"ok"
    conn.request("POST", "/bench/echo", body=body, headers={"content-type": "application/octet-stream"})
    r = conn.getresponse()
    echoed = r.read()
    echo_ok = r.status == 200 and echoed == body
    print(f"noop_ok={noop_ok} body={noop[:20]!r} echo_status={r.status} echo_bytes={len(echoed)}/{len(body)} ok={noop_ok and echo_ok}")
    return 0 if noop_ok and echo_ok else 1


if __name__ == "__main__":
    sys.exit(main())
