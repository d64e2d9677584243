#!/usr/bin/python3
"""Independent status check with Python grpcio (C-core): one Noop/Call, one Noop/Stream(3) and one Noop/Echo.

Usage: /usr/bin/python3 grpc_check.py HOST:PORT [ECHO_FRAMED_FILE]
With ECHO_FRAMED_FILE (a gRPC-framed servebench.Blob, as h2load sends it) the echo sends that message.
Exits 0 only when all calls end with grpc-status OK (the stream yields 3 messages, the echo returns
its request), so the
2xx responses h2load counts afterwards are known to be real gRPC OKs, not HTTP-200 error trailers.
"""
import sys

import grpc


def main() -> int:
    target = sys.argv[1]
    options = [("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 64 << 20)]
    with grpc.insecure_channel(target, options=options) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        call = channel.unary_unary("/servebench.Noop/Call")  # raw bytes: Empty is b""
        _, info = call.with_call(b"", timeout=10)
        unary = info.code()
        # StreamRequest{count=3}: field 1 varint -> 0x08 0x03
        stream = channel.unary_stream("/servebench.Noop/Stream")(b"\x08\x03", timeout=10)
        items = list(stream)
        # Blob{data=b"echo"}: field 1, length-delimited -> 0x0a 0x04 "echo"
        blob = open(sys.argv[2], "rb").read()[5:] if len(sys.argv) > 2 else b"\x0a\x04echo"
        echoed, echo_info = channel.unary_unary("/servebench.Noop/Echo").with_call(blob, timeout=10)
        echo = echo_info.code()
        print(f"unary={unary.name} stream={stream.code().name} items={len(items)} echo={echo.name} echo_ok={echoed == blob} echo_bytes={len(blob)}")
        ok = (unary == grpc.StatusCode.OK and stream.code() == grpc.StatusCode.OK and len(items) == 3
              and echo == grpc.StatusCode.OK and echoed == blob)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
