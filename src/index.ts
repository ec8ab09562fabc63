export * from './kernels/index.js';
export { GalacticError, ERROR_CODES, type ErrorCode } from './errors.js';
export { VERSION } from './version.js';
export { probe, type ProbeOptions, type ProbeSources } from './probe/index.js';
export * from './protocol/index.js';
export * as gas from './gas/index.js';
export { runBench, estimateMs, REFERENCE_MIX, type BenchResult, type BenchOptions, type KernelPower } from './bench/index.js';
export { startOracle, Oracle, parseOracleConfig, validateGraph, type OracleOptions, type OracleConfig } from './oracle/index.js';
