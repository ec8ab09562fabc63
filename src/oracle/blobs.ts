/**
 * Content-addressed blobs on disk (`<dataDir>/blobs/ab/abcd…`), indexed in
 * the store. An upload streams to a temporary file while it is hashed and is
 * renamed into place only when the hash matches the name it was sent under.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { GalacticError } from '../errors.js';
import type { OracleStore } from './store.js';

export class BlobStore {
  private readonly dir: string;
  constructor(
    dataDir: string,
    private readonly store: OracleStore,
    readonly maxBytes: number,
  ) {
    this.dir = join(dataDir, 'blobs');
    // Uploads cut off by a crash leave their partial files here; none is in flight yet.
    rmSync(join(this.dir, 'tmp'), { recursive: true, force: true });
    mkdirSync(join(this.dir, 'tmp'), { recursive: true, mode: 0o700 });
  }

  private path(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return this.store.blobSize(sha256) !== null;
  }

  size(sha256: string): number | null {
    return this.store.blobSize(sha256);
  }

  /** Stores the stream under `sha256` if it hashes to it; an existing blob is kept and the body drained. */
  async put(sha256: string, body: Readable, now: number): Promise<{ size: number; created: boolean }> {
    const existing = this.size(sha256);
    if (existing !== null) {
      body.resume();
      this.store.touchBlob(sha256, now);
      return { size: existing, created: false };
    }
    const tmp = join(this.dir, 'tmp', `${sha256}.${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const max = this.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > max) return done(new GalacticError('GAL_ERR_SIZE_LIMIT', `Expected a blob of at most ${max} bytes but received more`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(tmp, { mode: 0o600 }));
      const actual = hash.digest('hex');
      if (actual !== sha256)
        throw new GalacticError('GAL_ERR_BLOB_HASH', `Expected a body whose sha256 is ${sha256} but received one hashing to ${actual}`);
      mkdirSync(join(this.dir, sha256.slice(0, 2)), { recursive: true, mode: 0o700 });
      renameSync(tmp, this.path(sha256));
      this.store.insertBlob(sha256, size, now);
      return { size, created: true };
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /**
   * Retention (OracleStore.expire), and the files of the blobs it dropped.
   * A backlog goes in transactions of a thousand graphs, the event loop
   * served between them, so requests and agents are not held up.
   */
  async expire(cutoff: number): Promise<{ graphs: number; blobs: number }> {
    const BATCH = 1000;
    const total = { graphs: 0, blobs: 0 };
    for (;;) {
      const gone = this.store.expire(cutoff, BATCH);
      for (const sha of gone.blobs) rmSync(this.path(sha), { force: true });
      total.graphs += gone.graphs;
      total.blobs += gone.blobs.length;
      if (gone.graphs < BATCH) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Reads a stored blob piece by piece (a large key's header without the rest); null when absent. Close it after use. */
  openReader(sha256: string): { readAt: (offset: number, length: number) => Uint8Array; size: number; close(): void } | null {
    const size = this.size(sha256);
    if (size === null) return null;
    let fd: number;
    try {
      fd = openSync(this.path(sha256), 'r');
    } catch {
      return null;
    }
    const readAt = (offset: number, length: number) => {
      const bytes = Buffer.alloc(length);
      return bytes.subarray(0, readSync(fd, bytes, 0, length, offset));
    };
    return { readAt, size, close: () => closeSync(fd) };
  }

  /** A small blob's bytes; null when absent or larger than `max`. */
  readBytes(sha256: string, max: number): Buffer | null {
    const size = this.size(sha256);
    if (size === null || size > max) return null;
    try {
      return readFileSync(this.path(sha256));
    } catch {
      return null;
    }
  }

  read(sha256: string): { stream: Readable; size: number } | null {
    const size = this.size(sha256);
    if (size === null) return null;
    try {
      statSync(this.path(sha256));
    } catch {
      return null;
    }
    return { stream: createReadStream(this.path(sha256)), size };
  }
}
