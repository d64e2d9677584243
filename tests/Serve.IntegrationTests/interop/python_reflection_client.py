"""Uses Serve's standard gRPC services from Python's grpcio, as grpcurl and Kubernetes probes do.

Usage: python_reflection_client.py <port> <generated-modules-dir>

The generated modules come from Serve's own protos/grpc/... files, compiled by grpc_tools under the names
health.proto, reflection_v1alpha.proto and reflection_v1.proto (so that they do not shadow the `grpc`
package). The calls to the sample's service are built from what reflection returns: no local .proto for
it is used. Prints one line per check and exits non-zero when any check fails.
"""
import sys

sys.path.insert(0, sys.argv[2])

from checks import Checks  # noqa: E402

import grpc  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory  # noqa: E402

import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402
import reflection_v1_pb2  # noqa: E402
import reflection_v1_pb2_grpc  # noqa: E402
import reflection_v1alpha_pb2  # noqa: E402
import reflection_v1alpha_pb2_grpc  # noqa: E402

SERVICE = "userdefinedprotos.UserDefinedService"
NOT_FOUND = grpc.StatusCode.NOT_FOUND.value[0]

check = Checks()


def message_class(pool, descriptor):
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


def add_files(pool, serialized_files):
    """Adds FileDescriptorProtos to the pool, imports before the files importing them."""
    pending = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in serialized_files]
    added = set()
    while pending:
        ready = [f for f in pending if all(d in added for d in f.dependency)]
        if not ready:
            raise RuntimeError(f"unresolved imports: {[(f.name, list(f.dependency)) for f in pending]}")
        for f in ready:
            pool.Add(f)
            added.add(f.name)
            pending.remove(f)
    return added


channel = grpc.insecure_channel(f"127.0.0.1:{sys.argv[1]}")

for version, pb, pb_grpc in (("v1alpha", reflection_v1alpha_pb2, reflection_v1alpha_pb2_grpc),
                             ("v1", reflection_v1_pb2, reflection_v1_pb2_grpc)):
    stub = pb_grpc.ServerReflectionStub(channel)
    requests = [
        pb.ServerReflectionRequest(host="probe", list_services=""),
        pb.ServerReflectionRequest(host="probe", file_containing_symbol=SERVICE),
        pb.ServerReflectionRequest(host="probe", file_containing_symbol="no.such.Symbol"),
        pb.ServerReflectionRequest(host="probe", file_containing_symbol=f"{SERVICE}.__call__"),
        pb.ServerReflectionRequest(host="probe", file_by_filename=f"grpc/reflection/{version}/reflection.proto"),
        pb.ServerReflectionRequest(host="probe", file_containing_extension=pb.ExtensionRequest(
            containing_type="userdefinedprotos.UserDefinedMessage", extension_number=100)),
    ]
    call = stub.ServerReflectionInfo(iter(requests))
    responses = list(call)
    check(f"{version}: one response per request", len(responses) == len(requests), len(responses))
    check(f"{version}: stream status OK", call.code() == grpc.StatusCode.OK, call.code())
    if len(responses) != len(requests):
        continue
    listed, found, missing, method_file, own_file, extension = responses

    names = [s.name for s in listed.list_services_response.service]
    for expected in (SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection",
                     "grpc.reflection.v1.ServerReflection", "ray.serve.RayServeAPIService"):
        check(f"{version}: list_services has {expected}", expected in names, names)
    check(f"{version}: valid_host echoed", listed.valid_host == "probe", listed.valid_host)
    check(f"{version}: original_request echoed", listed.original_request == requests[0], listed.original_request)

    files = found.file_descriptor_response.file_descriptor_proto
    check(f"{version}: file for the service", len(files) >= 1, found)
    check(f"{version}: unknown symbol is NOT_FOUND", missing.error_response.error_code == NOT_FOUND, missing)
    check(f"{version}: stream goes on after an error",
          len(method_file.file_descriptor_response.file_descriptor_proto) >= 1, method_file)
    own = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in own_file.file_descriptor_response.file_descriptor_proto]
    check(f"{version}: file_by_filename", [f.package for f in own] == [f"grpc.reflection.{version}"], [f.name for f in own])
    check(f"{version}: no extension is NOT_FOUND", extension.error_response.error_code == NOT_FOUND, extension)

    # Build the request type from the returned descriptors alone, as grpcurl does, and call the service.
    pool = descriptor_pool.DescriptorPool()
    add_files(pool, files)
    service = pool.FindServiceByName(SERVICE)
    method = service.methods_by_name["__call__"]
    Request = message_class(pool, method.input_type)
    Response = message_class(pool, method.output_type)
    request = Request()
    for field, value in (("name", "foo"), ("num", 30), ("origin", "bar")):
        setattr(request, field, value)
    invoke = channel.unary_unary(f"/{SERVICE}/{method.name}", request_serializer=Request.SerializeToString,
                                 response_deserializer=Response.FromString)
    response = invoke(request)
    check(f"{version}: dynamic call greeting", response.greeting == "Hello foo from bar", response)
    check(f"{version}: dynamic call num", response.num == 60, response)

# Health, as a Kubernetes gRPC probe asks it.
health = health_pb2_grpc.HealthStub(channel)
SERVING = health_pb2.HealthCheckResponse.SERVING
check("health: server SERVING", health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == SERVING)
check("health: service SERVING", health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=5).status == SERVING)
try:
    health.Check(health_pb2.HealthCheckRequest(service="no.Such"), timeout=5)
    check("health: unknown service NOT_FOUND", False, "no error")
except grpc.RpcError as e:
    check("health: unknown service NOT_FOUND", e.code() == grpc.StatusCode.NOT_FOUND, e.code())
watch = health.Watch(health_pb2.HealthCheckRequest(service=SERVICE))
first = next(watch)
check("health: watch starts with SERVING", first.status == SERVING, first)
watch.cancel()
unknown_watch = health.Watch(health_pb2.HealthCheckRequest(service="no.Such"))
first = next(unknown_watch)
check("health: watch of an unknown service is SERVICE_UNKNOWN",
      first.status == health_pb2.HealthCheckResponse.SERVICE_UNKNOWN, first)
unknown_watch.cancel()

check.finish()
