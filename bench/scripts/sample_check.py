#!/usr/bin/python3
"""Status check on a sample of calls made while h2load loads the server, through Python grpcio (C-core).

h2load counts an HTTP 200 as a success, but a gRPC error is an HTTP 200 too, with the status in the trailers
(RESOURCE_EXHAUSTED from back-pressure, for instance, would only show up under load). So next to each gRPC load
run this script sends the same call (same method, same message, same `application` metadata) N times while the
load runs, and requires grpc-status OK every time.

Usage: /usr/bin/python3 sample_check.py AFTER_S N -- <the h2load arguments of the run>
Started together with h2load, it imports grpcio and connects during h2load's warm-up, waits until AFTER_S seconds
after its start (inside the measured part of the run), then makes N calls one after another. Prints one JSON
line {"suite": "sample", ...}; exit 1 on any status other than OK. Runs that are not gRPC (no
`content-type: application/grpc` header) have nothing to sample: prints nothing, exit 0.
"""
import json
import sys
import time
from urllib.parse import urlsplit


def parse(args):
    """(host:port, path, message bytes, metadata) from h2load's arguments, or None when not a gRPC run."""
    url, data_file, metadata, grpc_run = None, None, [], False
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-d", "--data"):
            data_file = args[i + 1]
            i += 1
        elif a in ("-H", "--header"):
            name, _, value = args[i + 1].partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-type":
                grpc_run = value.startswith("application/grpc")
            elif name != "te":  # a transport header, not metadata
                metadata.append((name, value))
            i += 1
        elif a.startswith("http://") or a.startswith("https://"):
            url = a
        i += 1
    if not grpc_run or url is None or data_file is None:
        return None
    parts = urlsplit(url)
    framed = open(data_file, "rb").read()
    # h2load sends the framed message: a 5-byte prefix (compressed flag, length), then the message.
    assert framed[0] == 0 and int.from_bytes(framed[1:5], "big") == len(framed) - 5, "expects one uncompressed frame"
    return parts.netloc, parts.path, framed[5:], metadata


def main() -> int:
    started = time.monotonic()
    after, count = float(sys.argv[1]), int(sys.argv[2])
    assert sys.argv[3] == "--"
    call = parse(sys.argv[4:])
    if call is None:
        return 0
    target, path, message, metadata = call
    import grpc  # only for gRPC runs: the import alone takes a few hundred ms of CPU
    options = [("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 64 << 20)]
    codes = {}
    with grpc.insecure_channel(target, options=options) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        method = channel.unary_unary(path)  # raw bytes in and out
        time.sleep(max(0.0, after - (time.monotonic() - started)))
        for _ in range(count):
            try:
                _, info = method.with_call(message, metadata=metadata, timeout=10)
                code = info.code()
            except grpc.RpcError as error:
                code = error.code()
            codes[code.name] = codes.get(code.name, 0) + 1
    ok = codes.get("OK", 0)
    print(json.dumps({"suite": "sample", "path": path, "metadata": dict(metadata), "calls": count, "ok": ok, "codes": codes}))
    return 0 if ok == count else 1


if __name__ == "__main__":
    sys.exit(main())
