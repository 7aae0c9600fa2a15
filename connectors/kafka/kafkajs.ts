/**
 * kafkajs as the rest of Quintet uses it: every value import of kafkajs goes through this module (an
 * ESLint rule says so), so that our work-arounds for kafkajs 2.2.4 are in place before kafkajs loads.
 *
 * Order matters: producer-grouping-fix.ts replaces a module that kafkajs requires as it loads. When the
 * fixes were imported only by client.ts, another module of the graph (the streams runtime, the CLI's
 * produce command) could import kafkajs first, and the grouping fix was silently off in `quintet run`.
 * In an ES module graph a module's imports are evaluated in order, depth first, so importing kafkajs
 * only from here, after the fixes, settles it for every entry point. Type-only imports from 'kafkajs'
 * are erased at compile time and may stay where they are.
 */
import './producer-grouping-fix.js';
import './consumer-batch-fix.js';
import './record-encoding-fix.js';
import './request-framing-fix.js';
import './partitioner-fix.js';
import './record-decoding-fix.js';
import './read-committed-fix.js';

// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- the one place kafkajs is imported for its values
export { AssignerProtocol, CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
