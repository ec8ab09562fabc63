/** Wire types and their zod schemas: the one source of truth every module imports. */
export * from './device.js';
export * from './graph.js';
export * from './link.js';
export * from './api.js';
export * from './identity.js';
export * from './requirements.js';
