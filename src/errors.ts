/**
 * Every error the package raises on purpose is a GalacticError with a stable
 * `code`; match on the code, never on the message. docs/errors.md lists them.
 */
export const ERROR_CODES = [
  'GAL_ERR_INVALID_ARGUMENT',
  'GAL_ERR_BUFFER_LENGTH',
  'GAL_ERR_FIELD_RANGE',
  'GAL_ERR_NOT_ON_CURVE',
  'GAL_ERR_NOT_IN_SUBGROUP',
  'GAL_ERR_NTT_SIZE',
  'GAL_ERR_ARITY',
  'GAL_ERR_SIZE_LIMIT',
  'GAL_ERR_BACKEND_UNAVAILABLE',
  'GAL_ERR_OUT_OF_MEMORY',
  'GAL_ERR_NATIVE',
  'GAL_ERR_INTERNAL',
  'GAL_ERR_DEVICE_LOST',
  'GAL_ERR_DEVICE_MEMORY',
  'GAL_ERR_R1CS',
  'GAL_ERR_WITNESS',
  'GAL_ERR_PROTOCOL_UNSUPPORTED',
  'GAL_ERR_GRAPH_INVALID',
  'GAL_ERR_CONFIG',
  'GAL_ERR_UNAUTHORIZED',
  'GAL_ERR_FORBIDDEN',
  'GAL_ERR_NOT_FOUND',
  'GAL_ERR_METHOD_NOT_ALLOWED',
  'GAL_ERR_BLOB_HASH',
  'GAL_ERR_MESSAGE_INVALID',
  'GAL_ERR_MESSAGE_UNKNOWN',
  'GAL_ERR_AUTH_FAILED',
  'GAL_ERR_BANNED',
  'GAL_ERR_NAME_TAKEN',
  'GAL_ERR_ORACLE_UNREACHABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class GalacticError extends Error {
  override readonly name = 'GalacticError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Renders a received value for `Expected … but received …` messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength} bytes)`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `a ${value.constructor?.name ?? typeof value}`;
}

export function invalidArgument(what: string, name: string, value: unknown, code: ErrorCode = 'GAL_ERR_INVALID_ARGUMENT'): GalacticError {
  return new GalacticError(code, `Expected ${what} for ${name} but received ${describeValue(value)}`);
}
