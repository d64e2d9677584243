'use strict';
// Calls the gRPC quickstart sample with Node's @grpc/grpc-js, a gRPC implementation fully
// independent of the C-core behind Python's grpcio, as Ray Serve's gRPC guide does.
//
// Usage: node client.js <port> <repoRoot>
// Prints one "ok   name" / "FAIL name detail" line per check, then "N passed, N failed";
// exits 1 when any check fails (or the run itself breaks).

const path = require('path');

let grpc;
let protoLoader;
try {
  grpc = require('@grpc/grpc-js');
  protoLoader = require('@grpc/proto-loader');
} catch (e) {
  console.error(`FAIL cannot load @grpc/grpc-js / @grpc/proto-loader (${e.message}). ` +
    `Install them: (cd ${__dirname} && npm ci)`);
  process.exit(2);
}

const [port, repoRoot] = process.argv.slice(2);
if (!port || !repoRoot) {
  console.error('usage: node client.js <port> <repoRoot>');
  process.exit(2);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNKNOWN_APP_MESSAGE =
  "Application 'nope' not found. Ping /ray.serve.RayServeAPIService/ListApplications for available applications.";
const CALL_TIMEOUT_MS = 15000;

let passed = 0;
let failed = 0;

function check(name, condition, detail) {
  if (condition) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name} ${detail === undefined ? '' : JSON.stringify(detail)}`);
  }
}

// keepCase keeps `__call__` and `application_names` exactly as in the .proto files.
const loaderOptions = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };
const userDefined = grpc.loadPackageDefinition(protoLoader.loadSync(
  path.join(repoRoot, 'samples', 'GrpcQuickstart', 'user_defined_protos.proto'), loaderOptions)).userdefinedprotos;
const serveApi = grpc.loadPackageDefinition(protoLoader.loadSync(
  path.join(repoRoot, 'protos', 'serve.proto'), loaderOptions)).ray.serve;

const address = `127.0.0.1:${port}`;
const credentials = grpc.credentials.createInsecure();
const stub = new userDefined.UserDefinedService(address, credentials);
const api = new serveApi.RayServeAPIService(address, credentials);
const request = { name: 'foo', num: 30, origin: 'bar' };

function deadline() {
  return new Date(Date.now() + CALL_TIMEOUT_MS);
}

function metadataOf(pairs) {
  const md = new grpc.Metadata();
  for (const [k, v] of pairs) {
    md.add(k, v);
  }
  return md;
}

// A unary call: resolves { error, response, status } (status carries code, details and trailing metadata).
function unary(client, method, message, pairs = []) {
  return new Promise((resolve) => {
    let result = { error: null, response: null };
    const call = client[method](message, metadataOf(pairs), { deadline: deadline() }, (error, response) => {
      result.error = error;
      result.response = response;
    });
    call.on('status', (status) => {
      // The callback always runs before 'status'.
      setImmediate(() => resolve({ ...result, status }));
    });
  });
}

// A server-streaming call: resolves { messages, status, error }.
function serverStreaming(client, method, message, pairs = []) {
  return new Promise((resolve) => {
    const messages = [];
    let error = null;
    const call = client[method](message, metadataOf(pairs), { deadline: deadline() });
    call.on('data', (m) => messages.push(m));
    call.on('error', (e) => { error = e; });
    call.on('status', (status) => setImmediate(() => resolve({ messages, status, error })));
  });
}

function trailingKeys(status) {
  return Object.keys(status.metadata.getMap());
}

// grpc-js keeps metadata in insertion order; the first key of the trailers is the first entry sent.
function firstTrailer(status) {
  const keys = trailingKeys(status);
  return keys.length === 0 ? null : [keys[0], status.metadata.get(keys[0])[0]];
}

async function main() {
  // Unary, no metadata: the only application is chosen, request_id generated.
  let r = await unary(stub, '__call__', request);
  check('unary status', r.status.code === grpc.status.OK, r.status);
  check('unary greeting', r.response && r.response.greeting === 'Hello foo from bar', r.response);
  check('unary num', r.response && Number(r.response.num) === 60, r.response);
  const first = firstTrailer(r.status);
  check('unary request_id first', first !== null && first[0] === 'request_id', trailingKeys(r.status));
  check('generated request_id is a UUID', first !== null && UUID_RE.test(String(first[1])), first);

  // request_id echoed.
  r = await unary(stub, '__call__', request, [['request_id', 'abc-123']]);
  check('request_id echoed', r.status.metadata.get('request_id')[0] === 'abc-123', r.status.metadata.getMap());

  // Multiplexing with the guide's metadata.
  r = await unary(stub, 'Multiplexing', {},
    [['application', 'app1'], ['request_id', '123'], ['multiplexed_model_id', '999']]);
  check('multiplexing status', r.status.code === grpc.status.OK, r.status);
  check('multiplexing greeting',
    r.response && r.response.greeting === 'Method2 called model, loading model: 999', r.response);
  check('multiplexing request_id', r.status.metadata.get('request_id')[0] === '123', r.status.metadata.getMap());

  // Server streaming: 10 messages, then request_id in the trailing metadata.
  const s = await serverStreaming(stub, 'Streaming', request, [['application', 'app1']]);
  const items = s.messages.map((m) => `${m.greeting}|${Number(m.num)}`);
  const expected = Array.from({ length: 10 }, (_, i) => `${i}: Hello foo from bar|${60 + i}`);
  check('streaming messages', JSON.stringify(items) === JSON.stringify(expected), items);
  check('streaming status', s.status.code === grpc.status.OK && s.error === null, s.status);
  const streamFirst = firstTrailer(s.status);
  check('streaming request_id first', streamFirst !== null && streamFirst[0] === 'request_id', trailingKeys(s.status));

  // The Serve API service, with Ray Serve's wire names.
  r = await unary(api, 'ListApplications', {});
  check('ListApplications', r.response && JSON.stringify(r.response.application_names) === '["app1"]', r.response || r.status);
  r = await unary(api, 'Healthz', {});
  check('Healthz', r.response && r.response.message === 'success', r.response || r.status);

  // Routing errors.
  r = await unary(stub, '__call__', request, [['application', 'nope']]);
  check('unknown application code', r.status.code === grpc.status.NOT_FOUND, r.status);
  check('unknown application details', r.status.details === UNKNOWN_APP_MESSAGE, r.status.details);
  const errFirst = firstTrailer(r.status);
  check('error trailers start with request_id', errFirst !== null && errFirst[0] === 'request_id', trailingKeys(r.status));

  const generic = new grpc.Client(address, credentials);
  const identity = (x) => x;
  const serialize = (m) => userDefined.UserDefinedMessage.serialize(m);
  for (const method of ['NoSuchMethod', '__CALL__']) {
    const status = await new Promise((resolve) => {
      const call = generic.makeUnaryRequest(`/userdefinedprotos.UserDefinedService/${method}`,
        serialize, identity, request, new grpc.Metadata(), { deadline: deadline() }, () => {});
      call.on('status', resolve);
    });
    check(`unknown method ${method} is UNIMPLEMENTED`, status.code === grpc.status.UNIMPLEMENTED, status);
  }
  generic.close();

  // Still serving after the errors.
  r = await unary(stub, '__call__', { name: 'again', num: 21, origin: 'node' });
  check('serving after errors',
    r.status.code === grpc.status.OK && r.response && r.response.greeting === 'Hello again from node' && Number(r.response.num) === 42,
    r.response || r.status);
}

main()
  .catch((e) => {
    failed++;
    console.log(`FAIL unexpected error ${e && e.stack ? e.stack : e}`);
  })
  .finally(() => {
    stub.close();
    api.close();
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
