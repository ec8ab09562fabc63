/** Wire types and their zod schemas: the one source of truth every module imports. */
export * from './device.js';
