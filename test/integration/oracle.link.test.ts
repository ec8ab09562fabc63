import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOracle, type Oracle, type OracleOptions } from '../../src/oracle/index.js';
import { LinkClient, waitUntil } from '../helpers/link-client.js';

const dirs: string[] = [];
const oracles: Oracle[] = [];
const clients: LinkClient[] = [];

async function oracle(options: OracleOptions = {}): Promise<Oracle> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'galactic-oracle-'));
  dirs.push(dataDir);
  const o = await startOracle({ port: 0, open: true, heartbeatMs: 200, cancelGraceMs: 1000, ...options, dataDir });
  oracles.push(o);
  return o;
}

function client(o: Oracle, options: ConstructorParameters<typeof LinkClient>[1]): LinkClient {
  const c = new LinkClient(o.url, options);
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(oracles.splice(0).map((o) => o.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

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

async function submit(o: Oracle, graph: unknown, token?: string) {
  const res = await fetch(`${o.url}/v1/graphs`, {
    method: 'POST',
    body: JSON.stringify(graph),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function graphOf(o: Oracle, id: string) {
  return (await (await fetch(`${o.url}/v1/graphs/${id}`)).json()) as any;
}

describe('oracle over real WebSockets', () => {
  it('runs continuation → aggregation to the end with deviceIds filled', async () => {
    const o = await oracle();
    const a = client(o, { name: 'rig-a' }), b = client(o, { name: 'rig-b' });
    expect((await a.connect()).type).toBe('welcome');
    expect((await b.connect()).type).toBe('welcome');
    const { status, body } = await submit(o, continuationGraph(4));
    expect(status).toBe(201);
    expect(body.gas).toBeGreaterThan(0);
    const done = await waitUntil(async () => {
      const g = await graphOf(o, body.id);
      return g.status === 'done' ? g : undefined;
    });
    const ids = new Set([a.proverId, b.proverId]);
    for (const op of done.ops) {
      expect(op.status).toBe('done');
      expect(op.deviceIds).toHaveLength(1);
      expect(ids.has(op.deviceIds[0])).toBe(true);
      expect(op.output[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    // Both provers took segments, and the aggregation received every segment's output.
    expect(new Set(done.ops.slice(0, 4).map((op: any) => op.deviceIds[0])).size).toBe(2);
    const out = await fetch(`${o.url}/v1/graphs/${body.id}/ops/agg/output`);
    expect(await out.text()).toBe(`proof of ${body.id}/agg`);
  });
});
