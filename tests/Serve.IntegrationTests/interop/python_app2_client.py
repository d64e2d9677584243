"""The gRPC guide's model composition call (app2) with Python's grpcio, against config.yaml's two apps.

Usage: python_app2_client.py <port> <generated-modules-dir> <images-dir>
Prints one line per check and exits non-zero when any check fails.
"""
import base64
import os
import sys

sys.path.insert(0, sys.argv[2])

from checks import Checks  # noqa: E402

import grpc  # noqa: E402
import serve_pb2  # noqa: E402
import serve_pb2_grpc  # noqa: E402
import user_defined_protos_pb2 as pb  # noqa: E402
import user_defined_protos_pb2_grpc as pb_grpc  # noqa: E402

images = sys.argv[3]
check = Checks()


def top5(name, response, expected):
    classes, probabilities = list(response.classes), list(response.probabilities)
    check(f"{name}: top class", classes[:1] == [expected], classes)
    check(f"{name}: five classes", len(classes) == 5 and len(probabilities) == 5, (classes, probabilities))
    check(f"{name}: descending", probabilities == sorted(probabilities, reverse=True), probabilities)
    check(f"{name}: sum <= 1", sum(probabilities) <= 1 + 1e-6, sum(probabilities))


channel = grpc.insecure_channel(f"127.0.0.1:{sys.argv[1]}")
stub = pb_grpc.ImageClassificationServiceStub(channel)
metadata = (("application", "app2"),)  # Make sure application metadata is passed.

# The guide's call, with a file:// URL instead of one on the internet.
url = "file://" + os.path.abspath(os.path.join(images, "digit-3.png"))
response, call = stub.Predict.with_call(request=pb.ImageData(url=url, filename="digit-3.png"), metadata=metadata)
check("status code", call.code() == grpc.StatusCode.OK, call.code())
top5("file url", response, "three")
print(f"Classes: {list(response.classes)}")
print(f"Probabilities: {list(response.probabilities)}")

# A data: URI carries the image itself.
with open(os.path.join(images, "digit-9.ppm"), "rb") as f:
    data_url = "data:image/x-portable-pixmap;base64," + base64.b64encode(f.read()).decode()
top5("data uri", stub.Predict(pb.ImageData(url=data_url), metadata=metadata), "nine")

# Errors.
try:
    stub.Predict(pb.ImageData(url="ftp://example.com/dog.jpg"), metadata=metadata)
    check("unsupported scheme", False, "no error")
except grpc.RpcError as e:
    check("unsupported scheme is INVALID_ARGUMENT", e.code() == grpc.StatusCode.INVALID_ARGUMENT, e.code())
    check("unsupported scheme names the url", "ftp://example.com/dog.jpg" in e.details(), e.details())

try:
    stub.Predict(pb.ImageData(url="file:///no/such/dog.jpg"), metadata=metadata)
    check("missing file", False, "no error")
except grpc.RpcError as e:
    check("missing file is NOT_FOUND", e.code() == grpc.StatusCode.NOT_FOUND, e.code())

try:
    stub.Predict(pb.ImageData(url=url))
    check("no application metadata", False, "no error")
except grpc.RpcError as e:
    check("no application metadata is NOT_FOUND", e.code() == grpc.StatusCode.NOT_FOUND, e.code())
    check("no application metadata message", e.details().startswith("Application metadata not set."), e.details())

# app1 next to it.
user = pb_grpc.UserDefinedServiceStub(channel)
greeting = user.__call__(pb.UserDefinedMessage(name="foo", num=30, origin="bar"), metadata=(("application", "app1"),))
check("app1 greeting", greeting.greeting == "Hello foo from bar" and greeting.num == 60, greeting)

apps = serve_pb2_grpc.RayServeAPIServiceStub(channel).ListApplications(serve_pb2.ListApplicationsRequest())
check("ListApplications", sorted(apps.application_names) == ["app1", "app2"], apps.application_names)

check.finish()
