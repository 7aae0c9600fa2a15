// Readiness probe for a Kafka broker, with nothing but node:net (no npm install needed).
// Sends ApiVersions v0 then Metadata v4 (both kept by Kafka 4.x, KIP-896) and succeeds only when the
// broker answers and lists at least one live broker and a controller: only then can topics be created.
//   node kafka-ready.mjs HOST PORT   → exit 0 ready, 1 not ready (reason on stderr)
import net from 'node:net';

const [host = '127.0.0.1', port = '9092'] = process.argv.slice(2);
const clientId = Buffer.from('quintet-stack-probe');

function request(apiKey, apiVersion, correlationId, body) {
  const header = Buffer.alloc(10);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  const payload = Buffer.concat([header, clientId, body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length, 0);
  return Buffer.concat([size, payload]);
}

function fail(reason) {
  process.stderr.write(`kafka not ready: ${reason}\n`);
  process.exit(1);
}

const socket = net.connect({ host, port: Number(port) });
socket.setTimeout(3000, () => fail('timeout'));
socket.on('error', (error) => fail(error.code ?? error.message));

let buffered = Buffer.alloc(0);
const responses = [];
socket.on('data', (chunk) => {
  buffered = Buffer.concat([buffered, chunk]);
  while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
    const size = buffered.readInt32BE(0);
    responses.push(buffered.subarray(4, 4 + size));
    buffered = buffered.subarray(4 + size);
    onResponse(responses.length);
  }
});

socket.on('connect', () => {
  socket.write(request(18, 0, 1, Buffer.alloc(0))); // ApiVersions v0, empty body
});

function onResponse(count) {
  if (count === 1) {
    const response = responses[0];
    if (response.readInt32BE(0) !== 1) fail('unexpected correlation id (not a Kafka broker?)');
    const errorCode = response.readInt16BE(4);
    if (errorCode !== 0) fail(`ApiVersions error ${errorCode}`);
    // Metadata v4: topics = empty array (no topic listing), allow_auto_topic_creation = false.
    socket.write(request(3, 4, 2, Buffer.from([0, 0, 0, 0, 0])));
    return;
  }
  const response = responses[1];
  if (response.readInt32BE(0) !== 2) fail('unexpected correlation id');
  let offset = 4 + 4; // correlation id, throttle_time_ms
  const brokers = response.readInt32BE(offset);
  offset += 4;
  for (let i = 0; i < brokers; i += 1) {
    offset += 4; // node_id
    offset += 2 + response.readInt16BE(offset); // host
    offset += 4; // port
    const rack = response.readInt16BE(offset);
    offset += 2 + Math.max(rack, 0);
  }
  const clusterId = response.readInt16BE(offset);
  offset += 2 + Math.max(clusterId, 0);
  const controllerId = response.readInt32BE(offset);
  if (brokers < 1) fail('no live broker yet');
  if (controllerId < 0) fail('no controller yet');
  socket.end();
  process.exit(0);
}
