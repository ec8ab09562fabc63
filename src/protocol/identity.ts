/**
 * Ed25519 identities on the wire: raw 32-byte public keys and 64-byte
 * signatures in base64, handled with node:crypto (no extra dependency).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

// DER prefixes that wrap a raw Ed25519 key into SPKI / PKCS#8 (RFC 8410).
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface Ed25519KeyPair {
  publicKey: Buffer;
  /** The 32-byte seed. */
  privateKey: Buffer;
}

export function generateIdentity(): Ed25519KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length),
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length),
  };
}

export function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function privateKeyObject(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function signPayload(payload: Uint8Array, key: KeyObject): string {
  return sign(null, payload, key).toString('base64');
}

/** False for any signature that does not verify, including malformed ones. */
export function verifyPayload(payload: Uint8Array, signatureBase64: string, key: KeyObject): boolean {
  try {
    return verify(null, payload, key, Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}
