/**
 * The agent's ed25519 identity: created on first run in the data directory
 * (mode 0600); an agent refuses to start when others could read the key.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { GalacticError } from '../errors.js';
import { generateIdentity, privateKeyObject, publicKeyObject } from '../protocol/index.js';

export interface AgentIdentity {
  publicKey: Buffer;
  privateKey: KeyObject;
  file: string;
  created: boolean;
}

export function loadIdentity(dataDir: string): AgentIdentity {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'identity.key');
  let created = false;
  if (!existsSync(file)) {
    const pair = generateIdentity();
    writeFileSync(file, JSON.stringify({ type: 'ed25519', seed: pair.privateKey.toString('base64'), publicKey: pair.publicKey.toString('base64') }) + '\n', { mode: 0o600, flag: 'wx' });
    created = true;
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077)
    throw new GalacticError('GAL_ERR_CONFIG', `Expected ${file} to be readable by its owner only (mode 0600) but its mode is 0${mode.toString(8)}; fix it with chmod 600`);
  let seed: Buffer, publicKey: Buffer;
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { seed: string; publicKey: string };
    seed = Buffer.from(json.seed, 'base64');
    publicKey = Buffer.from(json.publicKey, 'base64');
    if (seed.length !== 32 || publicKey.length !== 32) throw new Error('wrong key sizes');
    publicKeyObject(publicKey);
  } catch (err) {
    throw new GalacticError('GAL_ERR_CONFIG', `Expected an ed25519 identity in ${file} but ${(err as Error).message}`);
  }
  return { publicKey, privateKey: privateKeyObject(seed), file, created };
}
