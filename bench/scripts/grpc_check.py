#!/usr/bin/python3
"""Independent status check with Python grpcio (C-core): one Noop/Call and one Noop/Stream(3).

Usage: /usr/bin/python3 grpc_check.py HOST:PORT
Exits 0 only when both calls end with grpc-status OK (and the stream yields 3 messages), so the
2xx responses h2load counts afterwards are known to be real gRPC OKs, not HTTP-200 error trailers.
"""
import sys

import grpc


def main() -> int:
    target = sys.argv[1]
    with grpc.insecure_channel(target) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        call = channel.unary_unary("/servebench.Noop/Call")  # raw bytes: Empty is b""
        _, info = call.with_call(b"", timeout=10)
        unary = info.code()
        # StreamRequest{count=3}: field 1 varint -> 0x08 0x03
        stream = channel.unary_stream("/servebench.Noop/Stream")(b"\x08\x03", timeout=10)
        items = list(stream)
        print(f"unary={unary.name} stream={stream.code().name} items={len(items)}")
        ok = unary == grpc.StatusCode.OK and stream.code() == grpc.StatusCode.OK and len(items) == 3
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
