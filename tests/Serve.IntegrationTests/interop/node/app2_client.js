'use strict';
// The gRPC guide's model composition call (app2: ImageClassificationService.Predict) with Node's @grpc/grpc-js,
// against config.yaml's two apps, classifying the images samples/ImageClassifier ships.
// The same cases as interop/python_app2_client.py (and ImageClassificationTests).
//
// Usage: node app2_client.js <port> <repoRoot>
// Prints one "ok   name" / "FAIL name: why" line per check, then "N passed, N failed";
// exits 1 when any check fails (or the run itself breaks).

const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const { grpc, Checks, parseArgs, loadProto, unary, trailerPairs } = require('./lib');

const { address, repoRoot } = parseArgs('node app2_client.js <port> <repoRoot>');
const images = path.join(repoRoot, 'samples', 'ImageClassifier', 'images');

const userDefined = loadProto(repoRoot, 'samples/GrpcQuickstart/user_defined_protos.proto').userdefinedprotos;
const serveApi = loadProto(repoRoot, 'protos/serve.proto').ray.serve;
const credentials = grpc.credentials.createInsecure();
const classifier = new userDefined.ImageClassificationService(address, credentials);
const user = new userDefined.UserDefinedService(address, credentials);
const api = new serveApi.RayServeAPIService(address, credentials);
const app2 = { metadata: [['application', 'app2']] }; // Make sure application metadata is passed.
const checks = new Checks();
const check = checks.check.bind(checks);

function top5(name, response, expected) {
  const classes = response ? response.classes : [];
  const probabilities = response ? response.probabilities : [];
  check(`${name}: top class`, classes[0] === expected, classes);
  check(`${name}: five classes`, classes.length === 5 && probabilities.length === 5 && new Set(classes).size === 5,
    { classes, probabilities });
  check(`${name}: descending`, probabilities.every((p, i) => i === 0 || probabilities[i - 1] >= p), probabilities);
  check(`${name}: sum <= 1`, probabilities.reduce((a, b) => a + b, 0) <= 1 + 1e-6, probabilities);
}

async function main() {
  // The guide's call, with a file:// URL instead of one on the internet.
  const url = pathToFileURL(path.join(images, 'digit-3.png')).href;
  let r = await unary(classifier, 'Predict', { url, filename: 'digit-3.png' }, app2);
  check('status code', r.status.code === grpc.status.OK, r.status);
  const first = trailerPairs(r.status)[0];
  check('request_id first', first !== undefined && first[0] === 'request_id', r.status.metadata);
  top5('file url', r.response, 'three');

  // A data: URI carries the image itself.
  const dataUrl = `data:image/x-portable-pixmap;base64,${fs.readFileSync(path.join(images, 'digit-9.ppm')).toString('base64')}`;
  r = await unary(classifier, 'Predict', { url: dataUrl }, app2);
  top5('data uri', r.response, 'nine');

  // Errors.
  r = await unary(classifier, 'Predict', { url: 'ftp://example.com/dog.jpg' }, app2);
  check('unsupported scheme is INVALID_ARGUMENT', r.status.code === grpc.status.INVALID_ARGUMENT, r.status);
  check('unsupported scheme names the url',
    r.status.details.includes("Unsupported URL scheme 'ftp'") && r.status.details.includes("'ftp://example.com/dog.jpg'"), r.status.details);
  r = await unary(classifier, 'Predict', { url: 'file:///no/such/dog.jpg' }, app2);
  check('missing file is NOT_FOUND',
    r.status.code === grpc.status.NOT_FOUND && r.status.details.includes("'file:///no/such/dog.jpg'"), r.status);
  r = await unary(classifier, 'Predict', { url });
  check('no application metadata is NOT_FOUND', r.status.code === grpc.status.NOT_FOUND, r.status);
  check('no application metadata message', r.status.details
    === 'Application metadata not set. Ping /ray.serve.RayServeAPIService/ListApplications for available applications.', r.status.details);
  r = await unary(classifier, 'Predict', { url }, { metadata: [['application', 'app1']] });
  check('app1 does not serve Predict', r.status.code === grpc.status.UNIMPLEMENTED, r.status);

  // app1 next to it.
  r = await unary(user, '__call__', { name: 'foo', num: 30, origin: 'bar' }, { metadata: [['application', 'app1']] });
  check('app1 greeting', r.response !== null && r.response.greeting === 'Hello foo from bar' && r.response.num === 60,
    r.response || r.status);
  r = await unary(api, 'ListApplications', {});
  check('ListApplications', r.response !== null && JSON.stringify([...r.response.application_names].sort()) === '["app1","app2"]',
    r.response || r.status);

  // The replica keeps serving after the errors.
  r = await unary(classifier, 'Predict', { url }, app2);
  check('serving after errors', r.response !== null && r.response.classes[0] === 'three', r.response || r.status);
}

checks.run(async () => {
  try {
    await main();
  } finally {
    classifier.close();
    user.close();
    api.close();
  }
});
