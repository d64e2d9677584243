"""Checks the gRPC proxy's Ray Serve parity features with Python's grpcio against a multi-app host.

Usage: python_parity_client.py <port> <generated-modules-dir>
Apps: app1 (quickstart), context (the guide's gRPC context example), probe (servetesting.Probe),
tight (probe with max_ongoing_requests=1, max_queued_requests=1). The host gzips responses.
"""
import sys
import time

sys.path.insert(0, sys.argv[2])

from checks import Checks  # noqa: E402

import grpc  # noqa: E402
import probe_pb2  # noqa: E402
import probe_pb2_grpc  # noqa: E402
import user_defined_protos_pb2 as pb  # noqa: E402
import user_defined_protos_pb2_grpc as pb_grpc  # noqa: E402

check = Checks()


def expect_error(name, fn, code, details=None, details_contains=None):
    try:
        fn()
        check(name, False, "no error")
        return None
    except grpc.RpcError as e:
        ok = e.code() == code
        if details is not None:
            ok = ok and e.details() == details
        if details_contains is not None:
            ok = ok and details_contains in (e.details() or "")
        check(name, ok, f"{e.code()} {e.details()!r}")
        return e


channel = grpc.insecure_channel(f"127.0.0.1:{sys.argv[1]}")
stub = pb_grpc.UserDefinedServiceStub(channel)
probe = probe_pb2_grpc.ProbeStub(channel)
request = pb.UserDefinedMessage(name="foo", num=30, origin="bar")


def app(name, *extra):
    return (("application", name),) + tuple(extra)


# Routing by metadata.
expect_error("no application with several apps", lambda: stub.__call__(request), grpc.StatusCode.NOT_FOUND,
             details="Application metadata not set. Ping /ray.serve.RayServeAPIService/ListApplications for available applications.")
expect_error("unknown application", lambda: stub.__call__(request, metadata=app("nope")), grpc.StatusCode.NOT_FOUND,
             details="Application 'nope' not found. Ping /ray.serve.RayServeAPIService/ListApplications for available applications.")
expect_error("app without the service", lambda: probe.Echo(probe_pb2.ProbeRequest(), metadata=app("app1")), grpc.StatusCode.UNIMPLEMENTED)
response = stub.__call__(request, metadata=app("app1"))
check("app1 routed", response.greeting == "Hello foo from bar", response.greeting)
reply = probe.Echo(probe_pb2.ProbeRequest(text="hi"), metadata=app("probe"))
check("probe routed", reply.text == "hi", reply)

# request_id: generated, echoed, first of the trailers.
_, call = stub.__call__.with_call(request, metadata=app("app1", ("request_id", "rid-1")))
check("request_id echoed first", list(call.trailing_metadata())[0] == ("request_id", "rid-1"), call.trailing_metadata())

# Multiplexing, the guide's example.
response, call = stub.Multiplexing.with_call(pb.UserDefinedMessage2(),
                                             metadata=app("app1", ("request_id", "123"), ("multiplexed_model_id", "999")))
check("multiplexing", response.greeting == "Method2 called model, loading model: 999", response.greeting)
replicas = {probe.Model(probe_pb2.ProbeRequest(), metadata=app("probe", ("multiplexed_model_id", "py-model"))).replica for _ in range(10)}
check("multiplexed model stays on one replica", len(replicas) == 1, replicas)

# The guide's gRPC context example, asserted as the guide does.
try:
    response, call = stub.__call__.with_call(request=request, metadata=app("context"))
    check("context first call fails", False, "no error")
except grpc.RpcError as rpc_error:
    check("context INVALID_ARGUMENT", rpc_error.code() == grpc.StatusCode.INVALID_ARGUMENT, rpc_error.code())
    check("context details", rpc_error.details() == "foo not found, adding to nums.", rpc_error.details())
    check("context num trailer", any(key == "num" and value == "0" for key, value in rpc_error.trailing_metadata()), rpc_error.trailing_metadata())
    check("context request_id trailer", any(key == "request_id" for key, _ in rpc_error.trailing_metadata()), rpc_error.trailing_metadata())
response, call = stub.__call__.with_call(request=request, metadata=app("context"))
check("context OK", call.code() == grpc.StatusCode.OK, call.code())
check("context OK details", call.details() == "foo found.", call.details())
check("context OK num trailer", any(key == "num" and value == "0" for key, value in call.trailing_metadata()), call.trailing_metadata())

# Status codes.
expect_error("unhandled exception is INTERNAL with the stack", lambda: probe.Fail(probe_pb2.ProbeRequest(text="boom"), metadata=app("probe")),
             grpc.StatusCode.INTERNAL, details_contains="System.InvalidOperationException: boom")
garbage = channel.unary_unary("/servetesting.Probe/Echo", request_serializer=lambda b: b, response_deserializer=lambda b: b)
expect_error("unparseable request is INVALID_ARGUMENT", lambda: garbage(b"\xff\xff\xff", metadata=app("probe")),
             grpc.StatusCode.INVALID_ARGUMENT, details_contains="servetesting.ProbeRequest")
expect_error("client deadline is DEADLINE_EXCEEDED", lambda: probe.Sleep(probe_pb2.ProbeRequest(text="py-deadline", delay_ms=30000), metadata=app("probe"), timeout=0.3),
             grpc.StatusCode.DEADLINE_EXCEEDED)
# Deadlines no server timer can hold (60 days; grpcio sends them in hours) mean no practical deadline.
response = stub.__call__(request, metadata=app("app1"), timeout=86400 * 60)
check("60-day client deadline is served", response.num == 60, response)
response = stub.__call__(request, metadata=app("app1"), timeout=86400 * 365 * 100)
check("100-year client deadline is served", response.num == 60, response)
future = probe.Sleep.future(probe_pb2.ProbeRequest(text="py-cancel", delay_ms=30000), metadata=app("probe"))
time.sleep(0.2)
future.cancel()
check("client cancel", future.cancelled(), future)

# Backpressure on the tight app: one running, one queued, the third is dropped.
running = probe.Sleep.future(probe_pb2.ProbeRequest(text="py-bp-1", delay_ms=30000), metadata=app("tight"))
time.sleep(0.3)
queued = probe.Sleep.future(probe_pb2.ProbeRequest(text="py-bp-2", delay_ms=30000), metadata=app("tight"))
time.sleep(0.3)
expect_error("backpressure is RESOURCE_EXHAUSTED", lambda: probe.Echo(probe_pb2.ProbeRequest(), metadata=app("tight")),
             grpc.StatusCode.RESOURCE_EXHAUSTED, details_contains="Request dropped due to backpressure")
running.cancel()
queued.cancel()

# Streaming: a stream that fails mid-way keeps the messages already sent.
stream = probe.StreamThenFail(probe_pb2.ProbeRequest(text="s", count=3), metadata=app("probe"))
received = []
try:
    for r in stream:
        received.append(r.text)
    check("stream fails", False, "no error")
except grpc.RpcError as e:
    check("stream messages before the error", received == ["s 0", "s 1", "s 2"], received)
    check("stream error is INTERNAL", e.code() == grpc.StatusCode.INTERNAL and "s failed after 3" in e.details(), f"{e.code()} {e.details()}")

# Beyond Ray Serve: client streaming and bidirectional streaming.
total = probe.Sum(iter([probe_pb2.ProbeRequest(number=i) for i in range(1, 11)]), metadata=app("probe"))
check("client streaming", total.number == 55 and total.text == "10 messages", total)
replies = [r.text for r in probe.Chat(iter([probe_pb2.ProbeRequest(text=t) for t in ["a", "b", "c"]]), metadata=app("probe"))]
check("bidi streaming", replies == ["echo: a", "echo: b", "echo: c"], replies)

# Compression: a gzip request, and a gzip response (grpcio accepts gzip; the host compresses).
response = stub.__call__(request, metadata=app("app1"), compression=grpc.Compression.Gzip)
check("gzip request and response", response.num == 60, response)

# Still serving.
check("serving after everything", stub.__call__(request, metadata=app("app1")).num == 60)

check.finish()
