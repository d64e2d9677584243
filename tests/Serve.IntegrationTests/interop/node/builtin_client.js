'use strict';
// Uses Serve's standard gRPC services from Node's @grpc/grpc-js, as grpcurl and Kubernetes probes do:
// grpc.health.v1.Health and server reflection (v1alpha and v1), against the quickstart host (single-app.yaml).
// The same cases as interop/python_reflection_client.py and BuiltInServicesTests.
//
// No reflection client package is installed; none is needed: the reflection service is called like any other,
// from Serve's own protos/grpc/reflection/... files, and the FileDescriptorProtos it returns are read with the
// descriptor types of protobufjs (the library @grpc/proto-loader is built on). The call to the sample's service
// is then built from what reflection returned alone (proto-loader's loadFileDescriptorSetFromBuffer): no local
// .proto of the sample is used.
//
// Usage: node builtin_client.js <port> <repoRoot>
// Prints one "ok   name" / "FAIL name: why" line per check, then "N passed, N failed";
// exits 1 when any check fails (or the run itself breaks).

const path = require('path');
const {
  grpc, protoLoader, Checks, LOADER_OPTIONS, parseArgs, loadProto, unary, rawUnary, ended, metadataOf, callOptions,
  trailerPairs,
} = require('./lib');

// protobufjs comes with @grpc/proto-loader; resolve it from there rather than rely on how npm laid it out.
const descriptor = require(require.resolve('protobufjs/ext/descriptor',
  { paths: [path.dirname(require.resolve('@grpc/proto-loader'))] }));

const { address, repoRoot } = parseArgs('node builtin_client.js <port> <repoRoot>');

const SERVICE = 'userdefinedprotos.UserDefinedService';
const ALL_SERVICES = ['grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection', 'ray.serve.RayServeAPIService', SERVICE];

const credentials = grpc.credentials.createInsecure();
const healthProto = loadProto(repoRoot, 'protos/grpc/health/v1/health.proto').grpc.health.v1;
const health = new healthProto.Health(address, credentials);
const checks = new Checks();
const check = checks.check.bind(checks);

// ------------------------------------------------------------------------------------------ health

/** The first message of a Watch, then the call cancelled: resolves { first, status }. */
async function firstWatched(service) {
  const call = health.Watch({ service }, metadataOf(), callOptions({}));
  let first = null;
  call.on('data', (m) => {
    if (first === null) {
      first = m;
      call.cancel();
    }
  });
  const end = await ended(call);
  return { first, status: end.status };
}

async function healthChecks() {
  for (const [label, service] of [
    ['server', ''],
    ['service', SERVICE],
    ['grpc.health.v1.Health', 'grpc.health.v1.Health'],
    ['ray.serve.RayServeAPIService', 'ray.serve.RayServeAPIService'],
  ]) {
    const r = await unary(health, 'Check', { service });
    const first = trailerPairs(r.status)[0];
    check(`health: ${label} SERVING`,
      r.status.code === grpc.status.OK && r.response.status === 'SERVING' && first !== undefined && first[0] === 'request_id',
      r.response || r.status);
  }
  const unknown = await unary(health, 'Check', { service: 'no.Such' });
  check('health: unknown service NOT_FOUND',
    unknown.status.code === grpc.status.NOT_FOUND && unknown.status.details === "Unknown service 'no.Such'.", unknown.status);

  for (const [label, service, expected] of [
    ['watch of the server starts with SERVING', '', 'SERVING'],
    ['watch starts with SERVING', SERVICE, 'SERVING'],
    ['watch of an unknown service is SERVICE_UNKNOWN', 'no.Such', 'SERVICE_UNKNOWN'],
  ]) {
    const w = await firstWatched(service);
    check(`health: ${label}`, w.first !== null && w.first.status === expected, w.first || w.status);
  }
}

async function unknownBuiltInMethods() {
  for (const [label, methodPath] of [
    ['health: unknown method is UNIMPLEMENTED', '/grpc.health.v1.Health/Nope'],
    ['reflection: unknown method is UNIMPLEMENTED', '/grpc.reflection.v1alpha.ServerReflection/Info'],
    ['serve api: unknown method is UNIMPLEMENTED', '/ray.serve.RayServeAPIService/Nope'],
  ]) {
    const r = await rawUnary(address, methodPath, Buffer.alloc(0));
    check(label, r.status.code === grpc.status.UNIMPLEMENTED && r.status.details === `Method '${methodPath}' is not implemented.`,
      r.status);
  }
}

// ------------------------------------------------------------------------------------------ reflection

/** Sends every request on one ServerReflectionInfo stream, half-closes, and resolves { responses, status }. */
async function reflect(client, requests) {
  const call = client.ServerReflectionInfo(metadataOf(), callOptions({}));
  const responses = [];
  call.on('data', (m) => responses.push(m));
  const done = ended(call);
  for (const request of requests) {
    call.write(request);
  }
  call.end();
  const end = await done;
  return { responses, status: end.status };
}

function fileDescriptors(response) {
  return response.message_response === 'file_descriptor_response'
    ? response.file_descriptor_response.file_descriptor_proto.map((b) => descriptor.FileDescriptorProto.decode(b))
    : [];
}

async function reflectionChecks(version) {
  const proto = loadProto(repoRoot, `protos/grpc/reflection/${version}/reflection.proto`).grpc.reflection[version];
  const client = new proto.ServerReflection(address, credentials);
  const requests = [
    { host: 'probe', list_services: '' },
    { host: 'probe', file_containing_symbol: SERVICE },
    { host: 'probe', file_containing_symbol: 'no.such.Symbol' },
    { host: 'probe', file_containing_symbol: `${SERVICE}.__call__` },
    { host: 'probe', file_by_filename: `grpc/reflection/${version}/reflection.proto` },
    { host: 'probe', file_containing_extension: { containing_type: 'userdefinedprotos.UserDefinedMessage', extension_number: 100 } },
    { host: 'probe', file_containing_symbol: `grpc.reflection.${version}.ServerReflection` },
  ];
  const { responses, status } = await reflect(client, requests);
  client.close();
  const complete = check(`${version}: one response per request`, responses.length === requests.length, responses.length);
  check(`${version}: stream status OK`, status.code === grpc.status.OK, status);
  if (!complete) {
    return;
  }
  const [listed, found, missing, methodFile, ownFile, extension, serviceOfItself] = responses;

  const names = listed.message_response === 'list_services_response'
    ? listed.list_services_response.service.map((s) => s.name) : [];
  check(`${version}: list_services lists every service`, JSON.stringify(names) === JSON.stringify(ALL_SERVICES), names);
  check(`${version}: valid_host echoed`, listed.valid_host === 'probe', listed.valid_host);
  check(`${version}: original_request echoed`,
    listed.original_request !== null && listed.original_request.host === 'probe'
      && listed.original_request.message_request === 'list_services' && listed.original_request.list_services === '',
    listed.original_request);

  const files = fileDescriptors(found);
  const file = files.find((f) => f.name === 'user_defined_protos.proto');
  const service = file && file.service.find((s) => s.name === 'UserDefinedService');
  check(`${version}: file for the service`,
    service !== undefined && file.package === 'userdefinedprotos' && service.method.some((m) => m.name === '__call__'),
    files.map((f) => f.name));

  check(`${version}: unknown symbol is NOT_FOUND`,
    missing.message_response === 'error_response' && missing.error_response.error_code === grpc.status.NOT_FOUND
      && missing.error_response.error_message === "Symbol 'no.such.Symbol' not found."
      && missing.original_request.file_containing_symbol === 'no.such.Symbol',
    missing);
  check(`${version}: stream goes on after an error`,
    fileDescriptors(methodFile).some((f) => f.name === 'user_defined_protos.proto'), methodFile.message_response);
  check(`${version}: file_by_filename`,
    JSON.stringify(fileDescriptors(ownFile).map((f) => [f.name, f.package]))
      === JSON.stringify([[`grpc/reflection/${version}/reflection.proto`, `grpc.reflection.${version}`]]),
    fileDescriptors(ownFile).map((f) => f.name));
  check(`${version}: no extension is NOT_FOUND`,
    extension.message_response === 'error_response' && extension.error_response.error_code === grpc.status.NOT_FOUND,
    extension);
  check(`${version}: file of the reflection service itself`,
    fileDescriptors(serviceOfItself).some((f) => f.name === `grpc/reflection/${version}/reflection.proto`),
    fileDescriptors(serviceOfItself).map((f) => f.name));

  // Build the sample's service from the returned descriptors alone, as grpcurl does, and call it.
  const set = descriptor.FileDescriptorSet.encode({ file: files }).finish();
  const dynamic = grpc.loadPackageDefinition(protoLoader.loadFileDescriptorSetFromBuffer(Buffer.from(set), LOADER_OPTIONS));
  const stub = new dynamic.userdefinedprotos.UserDefinedService(address, credentials);
  const r = await unary(stub, '__call__', { name: 'foo', num: 30, origin: 'bar' });
  stub.close();
  check(`${version}: dynamic call greeting`, r.response !== null && r.response.greeting === 'Hello foo from bar', r.response || r.status);
  check(`${version}: dynamic call num`, r.response !== null && r.response.num === 60, r.response || r.status);
}

async function main() {
  await reflectionChecks('v1alpha');
  await reflectionChecks('v1');
  await healthChecks();
  await unknownBuiltInMethods();
}

checks.run(async () => {
  try {
    await main();
  } finally {
    health.close();
  }
});
