import { describe, expect, it } from 'vitest';
import type { Oracle, OracleOptions } from '../../src/oracle/index.js';
import { waitUntil, type LinkClientOptions } from '../helpers/link-client.js';
import { continuationGraph, getJson, oracleFixture, submitGraph } from '../helpers/oracle.js';

const fx = oracleFixture();
const oracle = (options: OracleOptions = {}) => fx.oracle(options);
const client = (o: Oracle, options: LinkClientOptions) => fx.client(o, options);
const submit = submitGraph;

async function graphOf(o: Oracle, id: string) {
  return (await getJson(o, `/v1/graphs/${id}`)).body;
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

describe('oracle failures and penalties', () => {
  it('excludes a prover that times out and reschedules its op at once', async () => {
    const o = await oracle({ exclusionWindowMs: 60_000 });
    const slow = client(o, { name: 'slow', behaviour: 'silent', power: { gasPerSecond: 1e12 } });
    await slow.connect();
    const { body } = await submit(o, { ops: [{ id: 'only', name: 'zkp-singleton', inputs: [], outputs: [], timeoutMs: 1000 }] });
    await slow.next((m) => m.type === 'assign');
    const honest = client(o, { name: 'honest', power: { gasPerSecond: 1 } });
    await honest.connect();
    const cancel = await slow.next((m) => m.type === 'cancel', 5000);
    expect(cancel).toMatchObject({ reason: 'timeout' });
    const g = await waitUntil(async () => ((await graphOf(o, body.id)).status === 'done' ? graphOf(o, body.id) : undefined));
    expect(g.ops[0].deviceIds).toEqual([honest.proverId]);
    expect(g.ops[0].attempts.map((a: any) => a.outcome)).toEqual(['timeout', 'done']);
    const provers = (await (await fetch(`${o.url}/v1/provers`)).json()) as any[];
    const record = provers.find((p) => p.name === 'slow');
    expect(record.penalty.consecutiveFailures).toBe(1);
    expect(record.penalty.excludedUntil).toBeGreaterThan(Date.now() + 50_000);
  });

  it('bans a name after its fourth consecutive failure and lets a new name in', async () => {
    const o = await oracle({ exclusionWindowMs: 0 });
    const bad = client(o, { name: 'flaky', behaviour: 'fail' });
    await bad.connect();
    const { body } = await submit(o, { ops: Array.from({ length: 5 }, (_, i) => ({ id: `op${i}`, name: 'zkp-singleton' })) });
    const refused = await bad.next((m) => m.type === 'refused', 10_000);
    expect(refused).toMatchObject({ code: 'GAL_ERR_BANNED' });
    await waitUntil(() => bad.closeCode === 4003, 5000, 'close 4003');
    // Same name, same key: refused at hello.
    const again = client(o, { name: 'flaky', keys: bad.keys });
    expect(await again.connect()).toMatchObject({ type: 'refused', code: 'GAL_ERR_BANNED' });
    await waitUntil(() => again.closeCode === 4003, 5000, 'close 4003');
    const renamed = client(o, { name: 'flaky-2', keys: bad.keys });
    expect((await renamed.connect()).type).toBe('welcome');
    const g = await waitUntil(async () => ((await graphOf(o, body.id)).status === 'done' ? graphOf(o, body.id) : undefined));
    const failures = g.ops.flatMap((op: any) => op.attempts).filter((a: any) => a.outcome === 'failed');
    expect(failures).toHaveLength(4);
    const provers = (await (await fetch(`${o.url}/v1/provers`)).json()) as any[];
    expect(provers.find((p) => p.name === 'flaky')).toMatchObject({ state: 'banned', penalty: { banned: true, consecutiveFailures: 4 } });
  });

  it('refuses a name bound to another key', async () => {
    const o = await oracle();
    await client(o, { name: 'owner' }).connect();
    const thief = client(o, { name: 'owner' });
    expect(await thief.connect()).toMatchObject({ type: 'refused', code: 'GAL_ERR_NAME_TAKEN' });
    await waitUntil(() => thief.closeCode === 4009, 5000, 'close 4009');
  });

  it('fails over the op of a prover that drops mid-task', async () => {
    const o = await oracle();
    const dropper = client(o, { name: 'dropper', behaviour: 'silent', power: { gasPerSecond: 1e12 } });
    await dropper.connect();
    const { body } = await submit(o, { ops: [{ id: 'x', name: 'zkp-singleton' }] });
    await dropper.next((m) => m.type === 'assign');
    const other = client(o, { name: 'other' });
    await other.connect();
    dropper.ws!.terminate();
    const g = await waitUntil(async () => ((await graphOf(o, body.id)).status === 'done' ? graphOf(o, body.id) : undefined));
    expect(g.ops[0].attempts.map((a: any) => [a.proverName, a.outcome])).toEqual([['dropper', 'lost'], ['other', 'done']]);
  });

  it('keeps the task of a prover that reconnects in time and accepts its result once', async () => {
    const o = await oracle({ heartbeatMs: 400 });
    const agent = client(o, { name: 'blip', behaviour: 'manual' });
    await agent.connect();
    const { body } = await submit(o, { ops: [{ id: 'x', name: 'zkp-singleton' }] });
    const task = (await agent.next((m) => m.type === 'assign')) as any;
    agent.ws!.terminate();
    await new Promise((r) => setTimeout(r, 100));
    const welcome = (await agent.connect()) as any;
    expect(welcome.resume).toEqual([task.taskId]);
    await agent.prove(task);
    expect(await agent.next((m) => m.type === 'ack')).toMatchObject({ taskId: task.taskId, accepted: true });
    await agent.prove(task); // a duplicate after a lost ack
    expect(await agent.next((m) => m.type === 'ack')).toMatchObject({ taskId: task.taskId, accepted: true });
    const g = await graphOf(o, body.id);
    expect(g.status).toBe('done');
    expect(g.ops[0].attempts).toHaveLength(1);
    const metrics = await (await fetch(`${o.url}/metrics`)).text();
    expect(metrics).toMatch(/galactic_oracle_attempts_total\{outcome="done"\} 1\b/);
  });

  it('refuses a result signed by another key and counts it as a failure', async () => {
    const o = await oracle();
    const agent = client(o, { name: 'forger', behaviour: 'manual' });
    await agent.connect();
    await submit(o, { ops: [{ id: 'x', name: 'zkp-singleton' }] });
    const task = (await agent.next((m) => m.type === 'assign')) as any;
    const output = await agent.upload(Buffer.from('proof'));
    const { signPayload, privateKeyObject, generateIdentity, resultPayload } = await import('../../src/protocol/index.js');
    const signature = signPayload(resultPayload(task.taskId, task.attempt, [output]), privateKeyObject(generateIdentity().privateKey));
    agent.send({ type: 'result', taskId: task.taskId, attempt: task.attempt, outputs: [output], signature });
    const ack = (await agent.next((m) => m.type === 'ack')) as any;
    expect(ack.accepted).toBe(false);
    expect(ack.reason).toMatch(/signature/);
    const provers = (await (await fetch(`${o.url}/v1/provers`)).json()) as any[];
    expect(provers[0].penalty.consecutiveFailures).toBe(1);
  });
});

describe('redundancy and preemption', () => {
  it('runs a performance graph on k distinct provers; the first result wins and the others are cancelled', async () => {
    const o = await oracle({ redundancy: 2 });
    const fast = client(o, { name: 'fast', proveMs: 5 });
    const slow = client(o, { name: 'slow', proveMs: 3000 });
    const idle = client(o, { name: 'third', proveMs: 3000 });
    await fast.connect();
    await slow.connect();
    const { body } = await submit(o, { mode: 'performance', ops: [{ id: 'x', name: 'zkp-singleton' }] });
    const g = await waitUntil(async () => ((await graphOf(o, body.id)).status === 'done' ? graphOf(o, body.id) : undefined));
    await idle.connect();
    expect(g.ops[0].attempts.map((a: any) => a.outcome).sort()).toEqual(['done', 'redundant']);
    expect(g.ops[0].deviceIds).toEqual([fast.proverId]);
    expect(await slow.next((m) => m.type === 'cancel')).toMatchObject({ reason: 'redundant' });
    expect(idle.received.some((m) => m.type === 'assign')).toBe(false);
  });

  it('preempts a lower-priority task for a higher-priority op, without a penalty', async () => {
    const o = await oracle();
    const only = client(o, { name: 'only', behaviour: 'manual' });
    await only.connect();
    const low = await submit(o, { priority: 0, ops: [{ id: 'low', name: 'zkp-singleton' }] });
    const first = (await only.next((m) => m.type === 'assign')) as any;
    only.send({ type: 'accept', taskId: first.taskId });
    const high = await submit(o, { priority: 5, ops: [{ id: 'high', name: 'zkp-singleton' }] });
    expect(await only.next((m) => m.type === 'cancel')).toMatchObject({ taskId: first.taskId, reason: 'preempted' });
    only.send({ type: 'cancelled', taskId: first.taskId });
    const second = (await only.next((m) => m.type === 'assign')) as any;
    expect(second.graphId).toBe(high.body.id);
    await only.prove(second);
    const third = (await only.next((m) => m.type === 'assign')) as any;
    expect(third.graphId).toBe(low.body.id);
    expect(third.attempt).toBe(2);
    await only.prove(third);
    await waitUntil(async () => (await graphOf(o, low.body.id)).status === 'done');
    const provers = (await (await fetch(`${o.url}/v1/provers`)).json()) as any[];
    expect(provers[0].penalty.consecutiveFailures).toBe(0);
  });
});

describe('a restarted oracle', () => {
  it('finishes the graph with no result lost or counted twice', async () => {
    const dataDir = fx.tempDir();
    let o = await oracle({ dataDir, heartbeatMs: 500 });
    const agent = client(o, { name: 'steady', behaviour: 'manual', slots: 2 });
    await agent.connect();
    const { body } = await submit(o, continuationGraph(3));
    const t1 = (await agent.next((m) => m.type === 'assign')) as any;
    const t2 = (await agent.next((m) => m.type === 'assign')) as any;
    await agent.prove(t1);
    await agent.next((m) => m.type === 'ack');
    // The oracle dies with t2 running; the agent finishes t2 while it is down.
    await fx.stop(o);
    await waitUntil(() => agent.closeCode !== null, 5000, 'link closed');
    o = await oracle({ dataDir, heartbeatMs: 500, port: Number(new URL(agent.linkUrl.replace('ws', 'http')).port) });
    const welcome = (await agent.connect()) as any;
    // t2 and the segment assigned when t1's slot freed.
    expect(welcome.resume).toHaveLength(2);
    expect(welcome.resume).toContain(t2.taskId);
    for (const taskId of welcome.resume) {
      await agent.prove(agent.assigned.get(taskId)!);
      expect(await agent.next((m) => m.type === 'ack' && m.taskId === taskId)).toMatchObject({ accepted: true });
    }
    // t1's result again, as an agent whose ack was lost would send it.
    await agent.prove(t1);
    expect(await agent.next((m) => m.type === 'ack')).toMatchObject({ taskId: t1.taskId, accepted: true });
    for (;;) {
      const g = await graphOf(o, body.id);
      if (g.status === 'done') {
        expect(g.ops.flatMap((op: any) => op.attempts).map((a: any) => a.outcome)).toEqual(['done', 'done', 'done', 'done']);
        break;
      }
      const task = (await agent.next((m) => m.type === 'assign')) as any;
      await agent.prove(task);
    }
    const metrics = await (await fetch(`${o.url}/metrics`)).text();
    // The restarted oracle counted the two resumed segments and agg, and not t1 again.
    expect(metrics).toMatch(/galactic_oracle_attempts_total\{outcome="done"\} 3\b/);
  });
});
