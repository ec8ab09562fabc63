/**
 * Who is calling: the operator (token in a 0600 file in the data dir),
 * requesters (tokens the operator mints; only their hashes are stored), or
 * a prover (the blob token from `welcome`, an HMAC of its id). With `open`,
 * callers without a token act as the operator: allowed on loopback only.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GalacticError } from '../errors.js';
import type { OracleStore } from './store.js';

export interface Caller {
  role: 'operator' | 'requester' | 'prover' | 'anonymous';
  /** Token hash (requester) or prover id (prover); null otherwise. */
  id: string | null;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export class TokenAuthority {
  readonly operatorTokenPath: string;
  private readonly secret: Buffer;

  constructor(
    private readonly store: OracleStore,
    dataDir: string,
    private readonly open: boolean,
    private readonly now: () => number,
  ) {
    let secret = store.meta('secret');
    if (!secret) store.setMeta('secret', (secret = randomBytes(32).toString('hex')));
    this.secret = Buffer.from(secret, 'hex');
    this.operatorTokenPath = join(dataDir, 'operator-token');
    if (!existsSync(this.operatorTokenPath)) {
      // A new file is also how an operator rotates the token: the one before stops working.
      const token = `o_${randomBytes(24).toString('base64url')}`;
      writeFileSync(this.operatorTokenPath, token + '\n', { mode: 0o600, flag: 'wx' });
      store.replaceOperatorToken(hash(token), now());
    } else if ((statSync(this.operatorTokenPath).mode & 0o077) !== 0) {
      throw new GalacticError('GAL_ERR_CONFIG', `Expected ${this.operatorTokenPath} to be readable by its owner only (mode 0600)`);
    }
  }

  operatorToken(): string {
    return readFileSync(this.operatorTokenPath, 'utf8').trim();
  }

  /** A new requester token, and its id (its hash: the `owner` of the requester's graphs). */
  mintRequester(label: string | null): { token: string; id: string } {
    const token = `r_${randomBytes(24).toString('base64url')}`;
    this.store.insertToken(hash(token), 'requester', label, this.now());
    return { token, id: hash(token) };
  }

  requesters(): { id: string; label: string | null; createdAt: number }[] {
    return this.store.requesterTokens().map((t) => ({ id: t.hash, label: t.label, createdAt: t.created_at }));
  }

  /** Revokes a requester token by id; its graphs stay. Whether there was one. */
  revokeRequester(id: string): boolean {
    return this.store.deleteToken(id, 'requester');
  }

  blobToken(proverId: string): string {
    return `b_${proverId}.${this.mac(proverId)}`;
  }

  private mac(proverId: string): string {
    return createHmac('sha256', this.secret).update(`blob|${proverId}`).digest('base64url');
  }

  identify(header: string | undefined): Caller {
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : null;
    if (!token) return { role: this.open ? 'operator' : 'anonymous', id: null };
    if (token.startsWith('b_')) {
      const dot = token.lastIndexOf('.');
      const proverId = token.slice(2, dot);
      const given = Buffer.from(token.slice(dot + 1));
      const expected = Buffer.from(this.mac(proverId));
      if (dot > 2 && given.length === expected.length && timingSafeEqual(given, expected)) return { role: 'prover', id: proverId };
      return { role: 'anonymous', id: null };
    }
    const h = hash(token);
    const row = this.store.token(h);
    if (row?.role === 'operator') return { role: 'operator', id: null };
    if (row?.role === 'requester') return { role: 'requester', id: h };
    return { role: 'anonymous', id: null };
  }
}
