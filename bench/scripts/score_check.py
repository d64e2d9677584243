#!/usr/bin/python3
"""Status and result check for the batching benchmark: one servebench.Scorer/Score call to each named
application, through Python grpcio. The reply must be grpc-status OK and match the model's scores computed
here independently from the same weight generator (so h2load's 2xx counts are real, complete results).

Usage: /usr/bin/python3 score_check.py HOST:PORT FRAMED_FEATURES_FILE APP [APP ...]
"""
import hashlib
import json
import operator
import os
import struct
import sys

import grpc

INPUTS, HIDDEN, OUTPUTS = 2048, 4096, 16  # NoopServe's Mlp


def weights():
    state = 12345
    def take(n, scale):
        nonlocal state
        out = []
        for _ in range(n):
            state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
            out.append(((state >> 8) / 16777216 - 0.5) / scale)
        return out
    return take(HIDDEN * INPUTS, 45), take(OUTPUTS * HIDDEN, 64)


def scores(x):
    w1, w2 = weights()
    hidden = [max(0.0, sum(map(operator.mul, w1[j * INPUTS:(j + 1) * INPUTS], x))) for j in range(HIDDEN)]
    return [sum(map(operator.mul, w2[k * HIDDEN:(k + 1) * HIDDEN], hidden)) for k in range(OUTPUTS)]


def floats(message: bytes):
    """The packed `repeated float values = 1` of a Features/Scores message."""
    if not message:
        return []
    assert message[0] == 0x0A, "expects field 1, packed"
    length, shift, i = 0, 0, 1
    while True:
        b = message[i]; i += 1
        length |= (b & 0x7F) << shift; shift += 7
        if b < 0x80:
            break
    return list(struct.unpack(f"<{length // 4}f", message[i:i + length]))


def expected_scores(path: str, message: bytes):
    """The reference scores, computed once per input file (8M multiply-adds in Python take a few seconds)."""
    cache = f"{path}.expected"
    key = hashlib.sha256(message + f"{INPUTS},{HIDDEN},{OUTPUTS}".encode()).hexdigest()
    if os.path.exists(cache):
        saved = json.load(open(cache))
        if saved.get("key") == key:
            return saved["scores"]
    result = scores(floats(message))
    json.dump({"key": key, "scores": result}, open(cache, "w"))
    return result


def main() -> int:
    target, framed, apps = sys.argv[1], open(sys.argv[2], "rb").read(), sys.argv[3:]
    message = framed[5:]
    expected = expected_scores(sys.argv[2], message)
    ok = True
    with grpc.insecure_channel(target) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        score = channel.unary_unary("/servebench.Scorer/Score")
        for app in apps:
            reply, info = score.with_call(message, metadata=(("application", app),), timeout=10)
            got = floats(reply)
            same = len(got) == OUTPUTS and all(abs(g - e) <= 1e-4 + 1e-3 * abs(e) for g, e in zip(got, expected))
            print(f"{app}: status={info.code().name} result_ok={same}")
            ok = ok and info.code() == grpc.StatusCode.OK and same
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
