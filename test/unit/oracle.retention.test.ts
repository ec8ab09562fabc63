/** Retention on a real SQLite store: a backlog is deleted in bounded transactions, and only what nothing kept needs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../src/oracle/blobs.js';
import { OracleStore } from '../../src/oracle/store.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'galactic-retention-'));
  const store = new OracleStore(dir);
  cleanups.push(() => (store.close(), rmSync(dir, { recursive: true, force: true })));
  return { store, blobs: new BlobStore(dir, store, 1024) };
}

const sha = (i: number) => i.toString(16).padStart(64, '0');

describe('retention', () => {
  it('deletes a backlog of ended graphs a thousand at a time, and the blobs only they referenced', async () => {
    const { store, blobs } = setup();
    const graph = (i: number, endedAt: number | null) => {
      const id = `g_${i}`;
      store.insertGraph({ id, seq: i, body: '{}', status: 'running', gas: 0, price: '0', owner: null, created_at: 0 }, [{ op_id: 'a', idx: 0, status: 'ready' }], [sha(i)]);
      store.insertBlob(sha(i), 1, 0);
      if (endedAt !== null) store.setGraphStatus(id, 'done', endedAt);
    };
    for (let i = 1; i <= 2500; i++) graph(i, 10);
    graph(2501, null); // still running: its blob stays however old
    graph(2502, 1000); // ended after the cut-off
    const sizes: number[] = [];
    const expire = store.expire.bind(store);
    store.expire = (cutoff, max) => {
      const r = expire(cutoff, max);
      sizes.push(r.graphs);
      return r;
    };
    expect(await blobs.expire(100)).toEqual({ graphs: 2500, blobs: 2500 });
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(store.listGraphs(10, null).map((g) => g.id).sort()).toEqual(['g_2501', 'g_2502']);
    expect([sha(2500), sha(2501), sha(2502)].map((h) => blobs.has(h))).toEqual([false, true, true]);
  });
});
