package io.quintet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The canonicalize work of Quintet's ingest topology, written the way a Kafka Streams developer would:
 * raw JSON in canonical shape → parse (Jackson) → check the canonical required fields → stamp
 * observed_timestamp → HMAC-SHA256 chain per partition (head in a changelogged, cached store,
 * exactly_once_v2) → Avro binary (the canonical schema exported by schemas/avro.ts, plain Avro, no
 * registry framing) → output topic, same partition as the input (one chain per partition). Rejected
 * records go, unchanged, to a dead-letter topic.
 *
 * Not done here (Quintet's ingest does it): format detection and adapters, pseudonymization through the
 * Redis vault, IP truncation, encrypted dead letters, CloudEvents headers, signed checkpoints.
 *
 * Usage: java -jar kafka-streams-canonicalize.jar BOOTSTRAP APPLICATION_ID INPUT OUTPUT DEAD_LETTER
 *        SCHEMA_FILE CHAIN_KEY_BASE64 [COMMIT_INTERVAL_MS] [STREAM_THREADS]
 */
public final class Canonicalize {
  static final String STORE = "chain-heads";
  static final String KEY_ID = "c1";
  static final byte[] DOMAIN = "QUINTET-CHAIN-V1".getBytes(StandardCharsets.US_ASCII);
  static final String GENESIS = "0".repeat(64);

  static final Pattern UUID = Pattern.compile("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
  static final Pattern TIMESTAMP = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$");
  static final Pattern SPEC_VERSION = Pattern.compile("^\\d+\\.\\d+$");
  static final String SEGMENT = "[a-z][a-z0-9]*(?:_[a-z0-9]+)*";
  static final Pattern EVENT_NAME = Pattern.compile("^" + SEGMENT + "\\." + SEGMENT + "\\." + SEGMENT + "$");
  static final Set<String> ACTION_TYPES = Set.of("create", "read", "update", "delete", "access", "track", "identify", "log", "social", "system", "other");
  static final Set<String> ACTOR_TYPES = Set.of("user", "service", "anonymous", "system");
  static final DateTimeFormatter ISO_MILLIS = DateTimeFormatter.ISO_INSTANT;

  /** The partition of the record being processed: the sink writes the chained record to the same one. */
  static final ThreadLocal<Integer> CURRENT_PARTITION = new ThreadLocal<>();

  private Canonicalize() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 7) {
      System.err.println("usage: BOOTSTRAP APPLICATION_ID INPUT OUTPUT DEAD_LETTER SCHEMA_FILE CHAIN_KEY_BASE64 [COMMIT_INTERVAL_MS] [STREAM_THREADS]");
      System.exit(2);
    }
    Schema schema = new Schema.Parser().parse(Files.readString(Path.of(args[5])));
    byte[] chainKey = Base64.getDecoder().decode(args[6]);
    Properties props = new Properties();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, args.length > 7 ? args[7] : "100");
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, args.length > 8 ? args[8] : "1");
    props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("ks-canonicalize-").toString());
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    Topology topology = new Topology();
    topology.addSource("raw-source", new ByteArrayDeserializer(), new ByteArrayDeserializer(), args[2]);
    topology.addProcessor("canonicalize", () -> new CanonicalizeProcessor(schema, chainKey), "raw-source");
    topology.addStateStore(
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(STORE), Serdes.Integer(), Serdes.String()).withCachingEnabled(),
        "canonicalize");
    StreamPartitioner<byte[], byte[]> samePartition = (topic, key, value, partitions) -> Optional.of(Set.of(CURRENT_PARTITION.get()));
    topology.addSink("canonical-sink", args[3], new ByteArraySerializer(), new ByteArraySerializer(), samePartition, "canonicalize");
    topology.addSink("dead-letter-sink", args[4], new ByteArraySerializer(), new ByteArraySerializer(), "canonicalize");

    KafkaStreams streams = new KafkaStreams(topology, props);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close();
      stopped.countDown();
    }));
    streams.setUncaughtExceptionHandler(error -> {
      error.printStackTrace();
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_APPLICATION;
    });
    streams.setStateListener((now, before) -> System.out.println("{\"state\":\"" + now + "\"}"));
    streams.start();
    stopped.await();
  }

  static final class CanonicalizeProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private final ObjectMapper mapper = new ObjectMapper();
    private final Schema schema;
    private final byte[] chainKey;
    private final GenericDatumWriter<GenericRecord> writer;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024);
    private BinaryEncoder encoder;
    private Mac mac;
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<Integer, String> heads;

    CanonicalizeProcessor(Schema schema, byte[] chainKey) {
      this.schema = schema;
      this.chainKey = chainKey;
      this.writer = new GenericDatumWriter<>(schema);
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
      this.context = context;
      this.heads = context.getStateStore(STORE);
      try {
        mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(chainKey, "HmacSHA256"));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      int partition = context.recordMetadata().orElseThrow().partition();
      ObjectNode event = parseAndValidate(record.value());
      if (event == null) {
        CURRENT_PARTITION.set(partition);
        context.forward(record, "dead-letter-sink");
        return;
      }
      event.put("observed_timestamp", ISO_MILLIS.format(Instant.now().truncatedTo(ChronoUnit.MILLIS)));
      String head = heads.get(partition);
      long sequence = 0;
      String previous = GENESIS;
      if (head != null) {
        int colon = head.indexOf(':');
        sequence = Long.parseLong(head, 0, colon, 10) + 1;
        previous = head.substring(colon + 1);
      }
      String hash = chainHash(partition, sequence, previous, CanonicalJson.of(event));
      heads.put(partition, sequence + ":" + hash);
      GenericRecord avro = toAvro(schema, event);
      GenericData.Record link = new GenericData.Record(nonNull(schema.getField("chain").schema()));
      link.put("partition", (long) partition);
      link.put("sequence", sequence);
      link.put("previous_hash", previous);
      link.put("hash", hash);
      link.put("key_id", KEY_ID);
      avro.put("chain", link);
      CURRENT_PARTITION.set(partition);
      context.forward(record.withValue(encode(avro)), "canonical-sink");
    }

    private ObjectNode parseAndValidate(byte[] value) {
      JsonNode node;
      try {
        node = mapper.readTree(value);
      } catch (IOException e) {
        return null;
      }
      if (!(node instanceof ObjectNode event)) return null;
      if (!matches(event.get("id"), UUID) || !matches(event.get("event_timestamp"), TIMESTAMP) || !matches(event.get("spec_version"), SPEC_VERSION)) return null;
      JsonNode source = event.get("source");
      if (source == null || !source.isTextual() || source.textValue().isEmpty() || source.textValue().length() > 2048) return null;
      JsonNode action = event.get("action");
      if (action == null || !action.isObject() || !matches(action.get("name"), EVENT_NAME)) return null;
      JsonNode actionType = action.get("type");
      if (actionType == null || !actionType.isTextual() || !ACTION_TYPES.contains(actionType.textValue())) return null;
      JsonNode actor = event.get("actor");
      if (actor == null || !actor.isObject()) return null;
      JsonNode actorType = actor.get("type");
      if (actorType != null && (!actorType.isTextual() || !ACTOR_TYPES.contains(actorType.textValue()))) return null;
      return event;
    }

    private static boolean matches(JsonNode node, Pattern pattern) {
      return node != null && node.isTextual() && pattern.matcher(node.textValue()).matches();
    }

    /** docs/hash-chain.md, "Construction": HMAC-SHA256 over domain, position, key id, previous hash and the event's canonical JSON. */
    private String chainHash(int partition, long sequence, String previous, byte[] body) {
      byte[] keyId = KEY_ID.getBytes(StandardCharsets.US_ASCII);
      ByteBuffer head = ByteBuffer.allocate(16 + 1 + 4 + 8 + 1 + keyId.length + 32 + 4);
      head.put(DOMAIN).put((byte) 0).putInt(partition).putLong(sequence).put((byte) keyId.length).put(keyId);
      head.put(HexFormat.of().parseHex(previous)).putInt(body.length);
      mac.update(head.array());
      return HexFormat.of().formatHex(mac.doFinal(body));
    }

    private byte[] encode(GenericRecord record) {
      buffer.reset();
      encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
      try {
        writer.write(record, encoder);
        encoder.flush();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return buffer.toByteArray();
    }
  }

  static Schema nonNull(Schema schema) {
    if (schema.getType() != Schema.Type.UNION) return schema;
    for (Schema branch : schema.getTypes()) if (branch.getType() != Schema.Type.NULL) return branch;
    throw new IllegalArgumentException("union without a non-null branch");
  }

  /** JSON object → Avro record of `schema`: nested records recurse, `string` fields holding objects become JSON text. */
  static GenericData.Record toAvro(Schema schema, JsonNode node) {
    GenericData.Record out = new GenericData.Record(schema);
    for (Schema.Field field : schema.getFields()) {
      JsonNode child = node.get(field.name());
      if (child == null || child.isNull()) continue;
      Schema type = nonNull(field.schema());
      switch (type.getType()) {
        case RECORD -> out.put(field.pos(), toAvro(type, child));
        case STRING -> out.put(field.pos(), child.isTextual() ? child.textValue() : child.toString());
        case DOUBLE -> out.put(field.pos(), child.doubleValue());
        case LONG -> out.put(field.pos(), child.longValue());
        default -> throw new IllegalArgumentException("unexpected Avro type " + type.getType() + " of " + field.name());
      }
    }
    return out;
  }

  /**
   * RFC 8785 canonical JSON, as the chain hashes it: keys sorted by UTF-16 code units, no whitespace,
   * minimal string escaping. Integers print as integers; other numbers use Java's shortest repr, which
   * can differ from ECMAScript's for exponents (the benchmark input has integers only).
   */
  static final class CanonicalJson {
    private CanonicalJson() {}

    static byte[] of(JsonNode node) {
      StringBuilder out = new StringBuilder(512);
      write(node, out);
      return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void write(JsonNode node, StringBuilder out) {
      switch (node.getNodeType()) {
        case OBJECT -> {
          List<Map.Entry<String, JsonNode>> entries = new ArrayList<>(node.size());
          node.properties().forEach(entries::add);
          entries.sort(Map.Entry.comparingByKey());
          out.append('{');
          boolean first = true;
          for (Map.Entry<String, JsonNode> entry : entries) {
            if (!first) out.append(',');
            first = false;
            string(entry.getKey(), out);
            out.append(':');
            write(entry.getValue(), out);
          }
          out.append('}');
        }
        case ARRAY -> {
          out.append('[');
          for (int i = 0; i < node.size(); i++) {
            if (i > 0) out.append(',');
            write(node.get(i), out);
          }
          out.append(']');
        }
        case STRING -> string(node.textValue(), out);
        case NUMBER -> {
          if (node.isIntegralNumber()) out.append(node.bigIntegerValue());
          else {
            double value = node.doubleValue();
            if (value == Math.rint(value) && Math.abs(value) < 1e21) out.append((long) value);
            else out.append(value);
          }
        }
        case BOOLEAN -> out.append(node.booleanValue());
        default -> out.append("null");
      }
    }

    private static void string(String value, StringBuilder out) {
      out.append('"');
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        switch (c) {
          case '"' -> out.append("\\\"");
          case '\\' -> out.append("\\\\");
          case '\b' -> out.append("\\b");
          case '\f' -> out.append("\\f");
          case '\n' -> out.append("\\n");
          case '\r' -> out.append("\\r");
          case '\t' -> out.append("\\t");
          default -> {
            if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
          }
        }
      }
      out.append('"');
    }
  }
}
