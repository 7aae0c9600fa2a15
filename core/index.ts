export * from './config.js';
export * from './errors.js';
export * from './result.js';
export * from './logger.js';
export * from './metrics.js';
