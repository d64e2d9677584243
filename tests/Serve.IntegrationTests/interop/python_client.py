"""Calls the gRPC quickstart sample with Python's grpcio, exactly as Ray Serve's gRPC guide does.

Usage: python_client.py <port> <generated-modules-dir>
Prints one line per check and exits non-zero when any check fails.
"""
import sys
import uuid

sys.path.insert(0, sys.argv[2])

from checks import Checks  # noqa: E402

import grpc  # noqa: E402
import serve_pb2  # noqa: E402
import serve_pb2_grpc  # noqa: E402
import user_defined_protos_pb2 as pb  # noqa: E402
import user_defined_protos_pb2_grpc as pb_grpc  # noqa: E402

check = Checks()


def trailing(call):
    return list(call.trailing_metadata())


channel = grpc.insecure_channel(f"127.0.0.1:{sys.argv[1]}")
stub = pb_grpc.UserDefinedServiceStub(channel)
request = pb.UserDefinedMessage(name="foo", num=30, origin="bar")

# Unary, no metadata: the only application is chosen, request_id generated.
response, call = stub.__call__.with_call(request=request)
check("unary status", call.code() == grpc.StatusCode.OK, call.code())
check("unary greeting", response.greeting == "Hello foo from bar", response.greeting)
check("unary num", response.num == 60, response.num)
md = trailing(call)
check("unary request_id first", len(md) >= 1 and md[0][0] == "request_id", md)
try:
    uuid.UUID(md[0][1])
    check("generated request_id is a UUID", True)
except Exception as e:  # noqa: BLE001
    check("generated request_id is a UUID", False, f"{md} {e}")

# request_id echoed.
response, call = stub.__call__.with_call(request=request, metadata=(("request_id", "abc-123"),))
check("request_id echoed", ("request_id", "abc-123") in trailing(call), trailing(call))

# Multiplexing with the guide's metadata.
metadata = (("application", "app1"), ("request_id", "123"), ("multiplexed_model_id", "999"))
response, call = stub.Multiplexing.with_call(request=pb.UserDefinedMessage2(), metadata=metadata)
check("multiplexing greeting", response.greeting == "Method2 called model, loading model: 999", response.greeting)
check("multiplexing request_id", ("request_id", "123") in trailing(call), trailing(call))

# Server streaming: 10 messages, then request_id in trailing metadata.
responses = stub.Streaming(request=request, metadata=(("application", "app1"),))
items = [(r.greeting, r.num) for r in responses]
expected = [(f"{i}: Hello foo from bar", 60 + i) for i in range(10)]
check("streaming messages", items == expected, items)
check("streaming status", responses.code() == grpc.StatusCode.OK, responses.code())
check("streaming request_id", any(k == "request_id" for k, _ in responses.trailing_metadata()), responses.trailing_metadata())

# The Serve API service, with the wire names Ray Serve uses.
api = serve_pb2_grpc.RayServeAPIServiceStub(channel)
apps = api.ListApplications(serve_pb2.ListApplicationsRequest())
check("ListApplications", list(apps.application_names) == ["app1"], apps.application_names)
health = api.Healthz(serve_pb2.HealthzRequest())
check("Healthz", health.message == "success", health.message)

# Routing errors.
try:
    stub.__call__(request=request, metadata=(("application", "nope"),))
    check("unknown application", False, "no error")
except grpc.RpcError as e:
    check("unknown application code", e.code() == grpc.StatusCode.NOT_FOUND, e.code())
    check("unknown application details", e.details() == "Application 'nope' not found. Ping /ray.serve.RayServeAPIService/ListApplications for available applications.", e.details())
    check("error trailers start with request_id", e.trailing_metadata()[0][0] == "request_id", e.trailing_metadata())

unknown = channel.unary_unary("/userdefinedprotos.UserDefinedService/NoSuchMethod",
                              request_serializer=pb.UserDefinedMessage.SerializeToString,
                              response_deserializer=pb.UserDefinedResponse.FromString)
try:
    unknown(request)
    check("unknown method", False, "no error")
except grpc.RpcError as e:
    check("unknown method code", e.code() == grpc.StatusCode.UNIMPLEMENTED, e.code())

wrong_case = channel.unary_unary("/userdefinedprotos.UserDefinedService/__CALL__",
                                 request_serializer=pb.UserDefinedMessage.SerializeToString,
                                 response_deserializer=pb.UserDefinedResponse.FromString)
try:
    wrong_case(request)
    check("method names are case-sensitive", False, "no error")
except grpc.RpcError as e:
    check("method names are case-sensitive", e.code() == grpc.StatusCode.UNIMPLEMENTED, e.code())

# Still serving after the errors.
response = stub.__call__(request=request)
check("serving after errors", response.num == 60, response.num)

check.finish()
