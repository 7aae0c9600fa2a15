// Readiness probe for consumer groups on a Kafka broker, with nothing but node:net. A broker that has
// just started creates and loads `__consumer_offsets` on the first group request and answers
// COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS meanwhile; clients that join a group in
// that window crash or stall. This sends FindCoordinator v0 then OffsetFetch v2 (all topics) for a
// probe group and succeeds only when both answer without error. Single-broker stacks only.
//   node kafka-groups-ready.mjs HOST PORT   → exit 0 ready, 1 not ready (reason on stderr)
import net from 'node:net';

const [host = '127.0.0.1', port = '9092'] = process.argv.slice(2);
const clientId = Buffer.from('quintet-stack-probe');
const group = Buffer.from('quintet-stack-probe-group');

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

function groupString() {
  const length = Buffer.alloc(2);
  length.writeInt16BE(group.length, 0);
  return Buffer.concat([length, group]);
}

function fail(reason) {
  process.stderr.write(`kafka groups not ready: ${reason}\n`);
  process.exit(1);
}

const socket = net.connect({ host, port: Number(port) });
socket.setTimeout(3000, () => fail('timeout'));
socket.on('error', (error) => fail(error.code ?? error.message));

let buffered = Buffer.alloc(0);
let answered = 0;
socket.on('data', (chunk) => {
  buffered = Buffer.concat([buffered, chunk]);
  while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
    const size = buffered.readInt32BE(0);
    const response = buffered.subarray(4, 4 + size);
    buffered = buffered.subarray(4 + size);
    answered += 1;
    onResponse(answered, response);
  }
});

// FindCoordinator v0: group id.
socket.on('connect', () => socket.write(request(10, 0, 1, groupString())));

function onResponse(count, response) {
  if (count === 1) {
    if (response.readInt32BE(0) !== 1) fail('unexpected correlation id');
    const errorCode = response.readInt16BE(4);
    if (errorCode !== 0) fail(`FindCoordinator error ${errorCode}`);
    // OffsetFetch v2: group id, topics = null (every topic of the group).
    socket.write(request(9, 2, 2, Buffer.concat([groupString(), Buffer.from([0xff, 0xff, 0xff, 0xff])])));
    return;
  }
  if (response.readInt32BE(0) !== 2) fail('unexpected correlation id');
  // A new group has no topics, so the top-level error code follows the empty topics array.
  const topics = response.readInt32BE(4);
  if (topics !== 0) fail('unexpected topics in the probe group');
  const errorCode = response.readInt16BE(8);
  if (errorCode !== 0) fail(`OffsetFetch error ${errorCode}`);
  socket.end();
  process.exit(0);
}
