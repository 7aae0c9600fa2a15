export * from './errors.js';
export * from './wire-format.js';
export * from './rest.js';
export * from './client.js';
export * from './avro-codec.js';
export * from './avro-serde.js';
