'use strict';
// Serve's own deadline, seen by Node's @grpc/grpc-js: DEADLINE_EXCEEDED with Ray Serve's message
// ("Request timed out after <s>s."), on a multi-app host whose grpc_options.request_timeout_s is shorter than
// any deadline the client sets. (With a client deadline alone, grpc-js's own timer ends the call a moment
// before the server's would, so the status a grpc-js client sees is grpc-js's: see parity_client.js.)
// The .NET peer's cases are ProbeTests' Request_timeout_*; the Python peer has none.
//
// Usage: node timeout_client.js <port> <repoRoot> <request_timeout_s>
// Prints one "ok   name" / "FAIL name: why" line per check, then "N passed, N failed";
// exits 1 when any check fails (or the run itself breaks).

const {
  grpc, Checks, parseArgs, loadProto, unary, serverStreaming, trailerPairs, installWireTap, wireMessages,
} = require('./lib');

const { address, repoRoot, rest } = parseArgs('node timeout_client.js <port> <repoRoot> <request_timeout_s>', 1);
const requestTimeoutS = rest[0];
// Timeouts.TimedOutMessage: the seconds as .NET's "G6" writes them ("2", "0.35").
const TIMED_OUT = `Request timed out after ${requestTimeoutS}s.`;
const TAP_PREFIX = 'node-timeout-';
const wire = installWireTap(TAP_PREFIX);

const probeProto = loadProto(repoRoot, 'tests/Serve.IntegrationTests/Probe/probe.proto').servetesting;
const probe = new probeProto.Probe(address, grpc.credentials.createInsecure());
const checks = new Checks();
const check = checks.check.bind(checks);
const LONG_SLEEP_MS = 60000;

function app(name, ...extra) {
  return { metadata: [['application', name], ...extra] };
}

function timedOut(r) {
  const first = trailerPairs(r.status)[0];
  return r.status.code === grpc.status.DEADLINE_EXCEEDED && r.status.details === TIMED_OUT
    && first !== undefined && first[0] === 'request_id';
}

async function main() {
  let r = await unary(probe, 'Sleep', { text: 'node-timeout-1', delay_ms: LONG_SLEEP_MS }, { ...app('probe'), deadlineMs: null });
  check("request_timeout_s is DEADLINE_EXCEEDED with Serve's message", timedOut(r), r.status);

  r = await unary(probe, 'Sleep', { text: 'node-timeout-2', delay_ms: LONG_SLEEP_MS }, { ...app('probe'), deadlineMs: LONG_SLEEP_MS });
  check('request_timeout_s shorter than the client deadline wins', timedOut(r), r.status);

  // A stream producing a message every 20 ms until cancelled: the timeout ends it after the messages sent.
  const tapped = `${TAP_PREFIX}stream`;
  const s = await serverStreaming(probe, 'StreamUntilCancelled', { text: 'tick' },
    { ...app('probe', ['request_id', tapped]), deadlineMs: null });
  check("stream past request_timeout_s ends DEADLINE_EXCEEDED with Serve's message", timedOut(s), s.status);
  const sent = wire.get(tapped);
  const onWire = sent ? wireMessages(sent, probeProto.Probe.service.StreamUntilCancelled.responseDeserialize).map((m) => m.number) : [];
  check('stream messages before the timeout are on the wire, numbered from 0',
    onWire.length > 0 && onWire.every((n, i) => n === i), onWire);
  // grpc-js may drop the last messages before a non-OK status (grpc-node#2764): a prefix of what was sent.
  const delivered = s.messages.map((m) => m.number);
  check('stream messages grpc-js delivers before the timeout are a prefix of those sent (grpc-node#2764)',
    delivered.length <= onWire.length && delivered.every((n, i) => n === onWire[i]), { delivered, sent: onWire.length });

  r = await unary(probe, 'Echo', { text: 'after' }, app('probe'));
  check('serving after the timeouts', r.status.code === grpc.status.OK && r.response.text === 'after', r.response || r.status);
}

checks.run(async () => {
  try {
    await main();
  } finally {
    probe.close();
  }
});
