#!/usr/bin/python3
"""Status and result check for the composition benchmark: one servebench.Chain/Run call to each named
application, through Python grpcio. The reply must be grpc-status OK and equal the three stages of work
computed here independently (so h2load's 2xx counts are real, complete results).

Usage: /usr/bin/python3 chain_check.py HOST:PORT FRAMED_BLOB_FILE APP [APP ...]
"""
import sys

import grpc

ROUNDS = 64  # NoopServe's Stage.Rounds


def stage(data: bytes, salt: int) -> bytes:
    out = bytearray(data)
    h = (2166136261 ^ salt) & 0xFFFFFFFF
    for _ in range(ROUNDS):
        for i in range(len(out)):
            h = ((h ^ out[i]) * 16777619) & 0xFFFFFFFF
            out[i] = h & 0xFF
    return bytes(out)


def main() -> int:
    target, framed, apps = sys.argv[1], open(sys.argv[2], "rb").read(), sys.argv[3:]
    message = framed[5:]
    assert message[0] == 0x0A and message[1] < 0x80, "expects a Blob of < 128 bytes"
    payload = message[2:2 + message[1]]
    expected = stage(stage(stage(payload, 1), 2), 3)
    ok = True
    with grpc.insecure_channel(target) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        run = channel.unary_unary("/servebench.Chain/Run")
        for app in apps:
            reply, info = run.with_call(message, metadata=(("application", app),), timeout=10)
            got = reply[2:2 + reply[1]] if len(reply) >= 2 else b""
            good = info.code() == grpc.StatusCode.OK and got == expected
            print(f"{app}: status={info.code().name} result_ok={got == expected}")
            ok = ok and good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
