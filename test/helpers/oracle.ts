/** Oracles on temporary data dirs and link clients for tests, all torn down after each test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { startOracle, type Oracle, type OracleOptions } from '../../src/oracle/index.js';
import { LinkClient, type LinkClientOptions } from './link-client.js';

export function oracleFixture() {
  const dirs: string[] = [];
  const oracles: Oracle[] = [];
  const clients: LinkClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(oracles.splice(0).map((o) => o.close()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  return {
    tempDir(): string {
      const dir = mkdtempSync(join(tmpdir(), 'galactic-oracle-'));
      dirs.push(dir);
      return dir;
    },
    async oracle(options: OracleOptions = {}): Promise<Oracle> {
      const dataDir = options.dataDir ?? this.tempDir();
      const o = await startOracle({ port: 0, open: true, heartbeatMs: 200, cancelGraceMs: 1000, ...options, dataDir });
      oracles.push(o);
      return o;
    },
    async stop(o: Oracle): Promise<void> {
      await o.close();
      oracles.splice(oracles.indexOf(o), 1);
    },
    client(o: Oracle, options: LinkClientOptions): LinkClient {
      const c = new LinkClient(o.url, options);
      clients.push(c);
      return c;
    },
  };
}

export function continuationGraph(segments: number, extra: Record<string, unknown> = {}) {
  const segs = Array.from({ length: segments }, (_, i) => ({
    id: `seg${i}`,
    name: 'zkp-continuation',
    plugin: 'groth16',
    inputs: [],
    outputs: ['agg'],
    workload: { msm: [4096], ntt: [4096] },
  }));
  return {
    name: 'continuation',
    ...extra,
    ops: [...segs, { id: 'agg', name: 'zkp-aggregation', inputs: segs.map((s) => s.id), outputs: [] }],
  };
}

export async function submitGraph(o: Oracle, graph: unknown, token?: string) {
  const res = await fetch(`${o.url}/v1/graphs`, {
    method: 'POST',
    body: typeof graph === 'string' ? graph : JSON.stringify(graph),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: res.status, body: (await res.json()) as any };
}

export async function getJson(o: Oracle, path: string, token?: string) {
  const res = await fetch(`${o.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as any };
}
