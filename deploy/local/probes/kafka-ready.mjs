// Readiness probe for a Kafka broker, with nothing but node:net (no npm install needed).
// Sends ApiVersions v0 then Metadata v4 (both kept by Kafka 4.x, KIP-896) and succeeds only when the
// broker answers and lists at least one live broker and a controller: only then can topics be created.
// With `groups`, it checks consumer groups instead: a broker that has just started creates and loads
// `__consumer_offsets` on the first group request and answers COORDINATOR_NOT_AVAILABLE /
// COORDINATOR_LOAD_IN_PROGRESS meanwhile (clients joining then crash or stall), so it sends
// FindCoordinator v0 then OffsetFetch v2 (all topics) for a probe group and needs both to answer
// without error. Single-broker stacks only.
//   node kafka-ready.mjs HOST PORT [groups]   → exit 0 ready, 1 not ready (reason on stderr)
import net from 'node:net';

const [host = '127.0.0.1', port = '9092', mode = 'broker'] = process.argv.slice(2);
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
  process.stderr.write(`kafka ${mode === 'groups' ? 'groups ' : ''}not ready: ${reason}\n`);
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
    if (mode === 'groups') onGroupResponse(responses.length);
    else onResponse(responses.length);
  }
});

socket.on('connect', () => {
  if (mode === 'groups') socket.write(request(10, 0, 1, groupString())); // FindCoordinator v0: group id
  else socket.write(request(18, 0, 1, Buffer.alloc(0))); // ApiVersions v0, empty body
});

function onGroupResponse(count) {
  const response = responses[count - 1];
  if (response.readInt32BE(0) !== count) fail('unexpected correlation id');
  if (count === 1) {
    const errorCode = response.readInt16BE(4);
    if (errorCode !== 0) fail(`FindCoordinator error ${errorCode}`);
    // OffsetFetch v2: group id, topics = null (every topic of the group).
    socket.write(request(9, 2, 2, Buffer.concat([groupString(), Buffer.from([0xff, 0xff, 0xff, 0xff])])));
    return;
  }
  // A new group has no topics, so the top-level error code follows the empty topics array.
  if (response.readInt32BE(4) !== 0) fail('unexpected topics in the probe group');
  const errorCode = response.readInt16BE(8);
  if (errorCode !== 0) fail(`OffsetFetch error ${errorCode}`);
  socket.end();
  process.exit(0);
}

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
