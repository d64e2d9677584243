'use strict';
// Calls the gRPC quickstart sample (single-app.yaml: app1 alone) with Node's @grpc/grpc-js, a gRPC
// implementation fully independent of the C-core behind Python's grpcio, as Ray Serve's gRPC guide does.
// The same cases as interop/python_client.py and DotnetInteropTests' Guide_* facts.
//
// Usage: node client.js <port> <repoRoot>
// Prints one "ok   name" / "FAIL name: why" line per check, then "N passed, N failed";
// exits 1 when any check fails (or the run itself breaks).

const {
  grpc, Checks, UUID_RE, parseArgs, loadProto, unary, serverStreaming, rawUnary, trailerPairs, trailer,
} = require('./lib');

const { address, repoRoot } = parseArgs('node client.js <port> <repoRoot>');
const UNKNOWN_APP_MESSAGE =
  "Application 'nope' not found. Ping /ray.serve.RayServeAPIService/ListApplications for available applications.";

const userDefined = loadProto(repoRoot, 'samples/GrpcQuickstart/user_defined_protos.proto').userdefinedprotos;
const serveApi = loadProto(repoRoot, 'protos/serve.proto').ray.serve;
const credentials = grpc.credentials.createInsecure();
const stub = new userDefined.UserDefinedService(address, credentials);
const api = new serveApi.RayServeAPIService(address, credentials);
const request = { name: 'foo', num: 30, origin: 'bar' };
const checks = new Checks();
const check = checks.check.bind(checks);

async function main() {
  // Unary, no metadata: the only application is chosen, request_id generated.
  let r = await unary(stub, '__call__', request);
  check('unary status', r.status.code === grpc.status.OK, r.status);
  check('unary greeting', r.response && r.response.greeting === 'Hello foo from bar', r.response);
  check('unary num', r.response && r.response.num === 60, r.response);
  const first = trailerPairs(r.status)[0];
  check('unary request_id first', first !== undefined && first[0] === 'request_id', r.status.metadata);
  check('generated request_id is a UUID', first !== undefined && UUID_RE.test(first[1]), first);

  // request_id echoed.
  r = await unary(stub, '__call__', request, { metadata: [['request_id', 'abc-123']] });
  check('request_id echoed', trailer(r.status, 'request_id') === 'abc-123', r.status.metadata);

  // Multiplexing with the guide's metadata.
  r = await unary(stub, 'Multiplexing', {},
    { metadata: [['application', 'app1'], ['request_id', '123'], ['multiplexed_model_id', '999']] });
  check('multiplexing status', r.status.code === grpc.status.OK, r.status);
  check('multiplexing greeting',
    r.response && r.response.greeting === 'Method2 called model, loading model: 999', r.response);
  check('multiplexing request_id', trailer(r.status, 'request_id') === '123', r.status.metadata);

  // Server streaming: 10 messages, then request_id in the trailing metadata.
  const s = await serverStreaming(stub, 'Streaming', request, { metadata: [['application', 'app1']] });
  const items = s.messages.map((m) => `${m.greeting}|${m.num}`);
  const expected = Array.from({ length: 10 }, (_, i) => `${i}: Hello foo from bar|${60 + i}`);
  check('streaming messages', JSON.stringify(items) === JSON.stringify(expected), items);
  check('streaming status', s.status.code === grpc.status.OK && s.error === null, s.status);
  const streamFirst = trailerPairs(s.status)[0];
  check('streaming request_id first', streamFirst !== undefined && streamFirst[0] === 'request_id', s.status.metadata);

  // The Serve API service, with Ray Serve's wire names.
  r = await unary(api, 'ListApplications', {});
  check('ListApplications', r.response && JSON.stringify(r.response.application_names) === '["app1"]', r.response || r.status);
  r = await unary(api, 'Healthz', {});
  check('Healthz', r.response && r.response.message === 'success', r.response || r.status);

  // Routing errors.
  r = await unary(stub, '__call__', request, { metadata: [['application', 'nope']] });
  check('unknown application code', r.status.code === grpc.status.NOT_FOUND, r.status);
  check('unknown application details', r.status.details === UNKNOWN_APP_MESSAGE, r.status.details);
  const errFirst = trailerPairs(r.status)[0];
  check('error trailers start with request_id', errFirst !== undefined && errFirst[0] === 'request_id', r.status.metadata);

  // Unknown methods, a method name in the wrong case and an unknown service: the only app has no such method.
  const bytes = userDefined.UserDefinedMessage.serialize(request);
  for (const [name, path] of [
    ['unknown method NoSuchMethod is UNIMPLEMENTED', '/userdefinedprotos.UserDefinedService/NoSuchMethod'],
    ['unknown method __CALL__ is UNIMPLEMENTED', '/userdefinedprotos.UserDefinedService/__CALL__'],
    ['unknown service is UNIMPLEMENTED', '/no.such.Service/__call__'],
  ]) {
    const u = await rawUnary(address, path, bytes);
    check(name, u.status.code === grpc.status.UNIMPLEMENTED
      && u.status.details === `Method '${path}' is not implemented by application 'app1'.`, u.status);
  }

  // Still serving after the errors.
  r = await unary(stub, '__call__', { name: 'again', num: 21, origin: 'node' });
  check('serving after errors',
    r.status.code === grpc.status.OK && r.response && r.response.greeting === 'Hello again from node' && r.response.num === 42,
    r.response || r.status);
}

checks.run(async () => {
  try {
    await main();
  } finally {
    stub.close();
    api.close();
  }
});
