export * from './kernels/index.js';
export { GalacticError, ERROR_CODES, type ErrorCode } from './errors.js';
export { VERSION } from './version.js';
