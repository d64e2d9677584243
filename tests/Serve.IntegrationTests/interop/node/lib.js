'use strict';
// What the Node interop clients share: check reporting, .proto loading, calls shaped as promises, and a
// wire tap. Only @grpc/grpc-js and @grpc/proto-loader (and protobufjs, which proto-loader is built on).

const http2 = require('http2');
const path = require('path');
const zlib = require('zlib');

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

/** A deadline long enough for any call on a loaded machine; only the deadline checks set short ones. */
const CALL_TIMEOUT_MS = 30000;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The arguments every client takes, <port> <repoRoot>, then `extra` more (named in `usage`). */
function parseArgs(usage, extra = 0) {
  const [port, repoRoot, ...rest] = process.argv.slice(2);
  if (!port || !repoRoot || rest.length !== extra) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return { address: `127.0.0.1:${port}`, repoRoot, rest };
}

// ------------------------------------------------------------------------------------------ reporting

/** Renders a value for a FAIL line: Metadata as its map, Buffers as hex, errors as code and details. */
function describe(value) {
  if (value === undefined) {
    return '';
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value, (key, v) => {
    if (v instanceof grpc.Metadata) {
      return v.getMap();
    }
    if (v && v.type === 'Buffer' && Array.isArray(v.data)) {
      return `0x${Buffer.from(v.data).toString('hex')}`;
    }
    if (v instanceof Error) {
      return { code: v.code, details: v.details, message: v.message };
    }
    return v;
  });
}

/**
 * One line per check, "ok   <name>" or "FAIL <name>: <why>", then "N passed, N failed"; the process exits 1
 * when any check failed or the run broke, so the C# test sees both the names and the outcome.
 */
class Checks {
  constructor() {
    this.passed = 0;
    this.failed = 0;
    this.names = new Set();
  }

  /** Records one check; `why` is printed when it fails. Returns the condition, for checks that depend on it. */
  check(name, condition, why) {
    if (this.names.has(name)) {
      throw new Error(`check name used twice: ${name}`);
    }
    this.names.add(name);
    if (condition) {
      this.passed++;
      console.log(`ok   ${name}`);
    } else {
      this.failed++;
      console.log(`FAIL ${name}: ${describe(why)}`);
    }
    return Boolean(condition);
  }

  /** Runs `main`, then prints the tally and exits; an exception fails the run without naming a check. */
  run(main) {
    main()
      .catch((e) => {
        this.failed++;
        console.log(`FAIL unexpected error: ${e && e.stack ? e.stack : e}`);
      })
      .finally(() => {
        console.log(`${this.passed} passed, ${this.failed} failed`);
        process.exit(this.failed ? 1 : 0);
      });
  }
}

// ------------------------------------------------------------------------------------------ protos

// keepCase keeps `__call__`, `application_names` and `delay_ms` exactly as in the .proto files; enums as names.
const LOADER_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

/** grpc.loadPackageDefinition of one of the repository's .proto files (repo-relative path). */
function loadProto(repoRoot, relativePath) {
  return grpc.loadPackageDefinition(protoLoader.loadSync(path.join(repoRoot, relativePath), LOADER_OPTIONS));
}

// ------------------------------------------------------------------------------------------ calls

function metadataOf(pairs = []) {
  const md = new grpc.Metadata();
  for (const [key, value] of pairs) {
    md.add(key, value);
  }
  return md;
}

/**
 * The call options of the helpers' `opts`: `deadline` (a Date), else `deadlineMs` from now, or null for no
 * deadline at all; CALL_TIMEOUT_MS from now when neither is given.
 */
function callOptions(opts) {
  if (opts.deadline instanceof Date) {
    return { deadline: opts.deadline };
  }
  if (opts.deadlineMs === null) {
    return {};
  }
  return { deadline: new Date(Date.now() + (opts.deadlineMs === undefined ? CALL_TIMEOUT_MS : opts.deadlineMs)) };
}

/**
 * Waits for a call's end. Resolves { status, error, headers }: status has code, details and the trailing
 * metadata; 'status' comes after the last 'data' and after a unary callback, so everything is in by then.
 */
function ended(call) {
  return new Promise((resolve) => {
    const out = { status: null, error: null, headers: null };
    call.on('metadata', (md) => { out.headers = md; });
    call.on('error', (e) => { out.error = e; });
    call.on('status', (status) => setImmediate(() => resolve({ ...out, status })));
  });
}

/**
 * A unary call: resolves { response, error, status, headers }. opts: metadata ([[key, value], ...]), deadline or
 * deadlineMs (see callOptions), onCall (given the call object as soon as it starts, e.g. to cancel it).
 */
async function unary(client, method, request, opts = {}) {
  let response = null;
  let error = null;
  const call = client[method](request, metadataOf(opts.metadata), callOptions(opts), (e, r) => {
    error = e;
    response = r;
  });
  if (opts.onCall) {
    opts.onCall(call);
  }
  const end = await ended(call);
  return { ...end, response, error };
}

/** A server-streaming call: resolves { messages, error, status, headers }. */
async function serverStreaming(client, method, request, opts = {}) {
  const messages = [];
  const call = client[method](request, metadataOf(opts.metadata), callOptions(opts));
  call.on('data', (m) => messages.push(m));
  const end = await ended(call);
  return { ...end, messages };
}

/** A client-streaming call writing every request, then half-closing: resolves { response, error, status }. */
async function clientStreaming(client, method, requests, opts = {}) {
  let response = null;
  let error = null;
  const call = client[method](metadataOf(opts.metadata), callOptions(opts), (e, r) => {
    error = e;
    response = r;
  });
  const done = ended(call);
  for (const request of requests) {
    call.write(request);
  }
  call.end();
  const end = await done;
  return { ...end, response, error };
}

/** A bidirectional call writing every request, then half-closing: resolves { messages, error, status }. */
async function bidiStreaming(client, method, requests, opts = {}) {
  const messages = [];
  const call = client[method](metadataOf(opts.metadata), callOptions(opts));
  call.on('data', (m) => messages.push(m));
  const done = ended(call);
  for (const request of requests) {
    call.write(request);
  }
  call.end();
  const end = await done;
  return { ...end, messages };
}

/**
 * A unary call by path with the request given as bytes and the response kept as bytes: for methods no
 * generated stub has (unknown names) and for requests no serializer would produce.
 */
async function rawUnary(address, methodPath, bytes, opts = {}) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    let response = null;
    const call = client.makeUnaryRequest(methodPath, (b) => b, (b) => b, bytes, metadataOf(opts.metadata),
      callOptions(opts), (e, r) => { response = r; });
    const end = await ended(call);
    return { ...end, response };
  } finally {
    client.close();
  }
}

/** The trailing metadata as [key, first value] pairs, in the order received (grpc-js keeps insertion order). */
function trailerPairs(status) {
  const map = status.metadata.getMap();
  return Object.keys(map).map((k) => [k, Buffer.isBuffer(map[k]) ? `0x${map[k].toString('hex')}` : String(map[k])]);
}

/** The first value of one trailing metadata key, or undefined. */
function trailer(status, key) {
  const values = status.metadata.get(key);
  return values.length === 0 ? undefined : String(values[0]);
}

/** Resolves after ms; for polling, never as a way to order calls. */
function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ------------------------------------------------------------------------------------------ wire tap

/**
 * What calls put on the wire, below grpc-js's compression: grpc-js hands each call's headers and framed
 * messages to Node's http2 module, so wrapping http2.connect sees the grpc-encoding header of each direction
 * and the first byte of each direction's first message (its compressed flag), as the .NET peer's
 * DelegatingHandler does; it also keeps each response's body and trailers, for wireMessages. Calls are told
 * apart by their request_id header; only calls whose request_id starts with `prefix` are recorded. Must be
 * installed before the first channel connects. Returns the records, a Map from request_id.
 */
function installWireTap(prefix) {
  const records = new Map();
  const connect = http2.connect;
  http2.connect = function tappedConnect(...args) {
    const session = connect.apply(this, args);
    const request = session.request;
    session.request = function tappedRequest(headers, ...rest) {
      const stream = request.call(this, headers, ...rest);
      const requestId = headers.request_id === undefined ? '' : String(headers.request_id);
      if (!requestId.startsWith(prefix)) {
        return stream;
      }
      const record = {
        requestEncoding: headerValue(headers['grpc-encoding']),
        requestFlag: -1,
        responseEncoding: null,
        responseFlag: -1,
        responseData: [],
        responseTrailers: null,
      };
      records.set(requestId, record);
      const write = stream.write;
      stream.write = function tappedWrite(chunk, ...more) {
        if (record.requestFlag === -1 && chunk && chunk.length > 0) {
          record.requestFlag = chunk[0];
        }
        return write.call(this, chunk, ...more);
      };
      const emit = stream.emit;
      stream.emit = function tappedEmit(event, ...eventArgs) {
        if (event === 'response') {
          record.responseEncoding = headerValue(eventArgs[0]['grpc-encoding']);
        } else if (event === 'data' && eventArgs[0] && eventArgs[0].length > 0) {
          if (record.responseFlag === -1) {
            record.responseFlag = eventArgs[0][0];
          }
          record.responseData.push(Buffer.from(eventArgs[0]));
        } else if (event === 'trailers') {
          record.responseTrailers = eventArgs[0];
        }
        return emit.call(this, event, ...eventArgs);
      };
      return stream;
    };
    return session;
  };
  return records;
}

/**
 * The messages a tapped call received on the wire, whatever grpc-js passed on: the response body split into
 * gRPC frames, gunzipped when flagged compressed, and decoded with `deserialize`.
 */
function wireMessages(record, deserialize) {
  const body = Buffer.concat(record.responseData);
  const messages = [];
  let offset = 0;
  while (offset + 5 <= body.length) {
    const compressed = body[offset] === 1;
    const length = body.readUInt32BE(offset + 1);
    const payload = body.subarray(offset + 5, offset + 5 + length);
    messages.push(deserialize(compressed ? zlib.gunzipSync(payload) : payload));
    offset += 5 + length;
  }
  if (offset !== body.length) {
    throw new Error(`response body ends inside a frame (${body.length - offset} bytes left)`);
  }
  return messages;
}

function headerValue(value) {
  if (value === undefined) {
    return null;
  }
  return Array.isArray(value) ? value.join(',') : String(value);
}

module.exports = {
  grpc,
  protoLoader,
  CALL_TIMEOUT_MS,
  UUID_RE,
  LOADER_OPTIONS,
  parseArgs,
  describe,
  Checks,
  loadProto,
  metadataOf,
  unary,
  serverStreaming,
  clientStreaming,
  bidiStreaming,
  rawUnary,
  ended,
  callOptions,
  trailerPairs,
  trailer,
  delay,
  installWireTap,
  wireMessages,
};
