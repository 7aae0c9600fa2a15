export * from './admin.js';
export * from './client.js';
