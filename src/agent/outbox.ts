/**
 * Durable agent state, so no proof is lost: the outbox holds every `result`
 * or `fail` (with its output blobs) from before it is sent until the oracle
 * acknowledges it; the task journal holds each running task's assignment and
 * plugin instance, so a restarted agent can clean up what it was running.
 * Each entry is one JSON file written to a temporary name, fsynced and renamed.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

function writeAtomic(file: string, data: Buffer | string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

const safe = (id: string) => id.replace(/[^A-Za-z0-9_.-]/g, '_');

export class JsonDir<T> {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  put(id: string, value: T): void {
    writeAtomic(join(this.dir, `${safe(id)}.json`), JSON.stringify(value));
  }
  get(id: string): T | null {
    try {
      return JSON.parse(readFileSync(join(this.dir, `${safe(id)}.json`), 'utf8')) as T;
    } catch {
      return null;
    }
  }
  delete(id: string): void {
    rmSync(join(this.dir, `${safe(id)}.json`), { force: true });
  }
  all(): T[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => {
        try {
          return [JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as T];
        } catch {
          return []; // a torn write never renamed into place; nothing to recover
        }
      });
  }
}

/** Output blobs kept until their result is acknowledged, by sha256. */
export class BlobSpool {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  put(sha256: string, data: Buffer): void {
    writeAtomic(join(this.dir, sha256), data);
  }
  read(sha256: string): Buffer {
    return readFileSync(join(this.dir, sha256));
  }
  delete(sha256: string): void {
    rmSync(join(this.dir, sha256), { force: true });
  }
}
