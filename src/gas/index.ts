export * from './table.js';
export * from './estimate.js';
