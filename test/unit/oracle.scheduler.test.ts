/** The scheduler driven directly: a fake clock, a recording link, a real SQLite store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG } from '../../src/oracle/config.js';
import { opGas, validateGraph } from '../../src/oracle/graph.js';
import { DISPUTES_TO_FAIL, PACE_MIN_FORECAST_MS, Scheduler, type LinkOut, type Prover } from '../../src/oracle/scheduler.js';
import { OracleStore } from '../../src/oracle/store.js';
import { generateIdentity, privateKeyObject, resultPayload, signPayload, type OracleMessage } from '../../src/protocol/index.js';
import { ALL_OPS, fakeDevice } from '../helpers/link-client.js';

const HB = 1000, W = 10_000;
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function setup(config: Partial<ConstructorParameters<typeof Scheduler>[2]> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'galactic-sched-'));
  const store = new OracleStore(dir);
  cleanups.push(() => (store.close(), rmSync(dir, { recursive: true, force: true })));
  const clock = { t: 1_000_000, now() { return this.t; } };
  const sent: { to: string; m: OracleMessage }[] = [];
  const closed: { to: string; code: number }[] = [];
  const link: LinkOut = { send: (to, m) => sent.push({ to, m }), close: (to, code) => closed.push({ to, code }) };
  const s = new Scheduler(store, link, { heartbeatMs: HB, exclusionWindowMs: W, ...config }, clock);
  cleanups.push(() => s.close());
  const keys = new Map<string, ReturnType<typeof generateIdentity>>();
  const prover = (name: string, slots = 1, gasPerSecond = 1e9): Prover => {
    const identity = generateIdentity();
    const v = s.hello(name, identity.publicKey.toString('base64'));
    if (!v.ok) throw new Error(v.reason);
    s.connected(v.prover, v.fresh);
    keys.set(v.prover.id, identity);
    s.register(v.prover, { type: 'register', device: fakeDevice(), power: { gasPerSecond, kernels: {} }, taskTypes: ALL_OPS, capacity: { slots } });
    return v.prover;
  };
  const submit = (graph: unknown) => {
    const r = validateGraph(graph, { catalog: DEFAULT_CATALOG });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return s.submit(r.graph, null);
  };
  const assigns = (to?: string) => sent.filter((x) => x.m.type === 'assign' && (!to || x.to === to)).map((x) => x.m as Extract<OracleMessage, { type: 'assign' }>);
  const beat = (...ps: Prover[]) => ps.forEach((p) => (s.seen(p), s.heartbeat(p, 'idle', [])));
  const owner = (taskId: string) => s.provers.get(sent.find((x) => x.m.type === 'assign' && x.m.taskId === taskId)!.to)!;
  /** A correctly signed result with no outputs. */
  const prove = (taskId: string) => {
    const p = owner(taskId);
    const { attempt } = assigns().find((t) => t.taskId === taskId)!;
    const signature = signPayload(resultPayload(taskId, attempt, []), privateKeyObject(keys.get(p.id)!.privateKey));
    return s.result(p, { type: 'result', taskId, attempt, outputs: [], metrics: {}, signature });
  };
  return { s, store, clock, sent, closed, prover, submit, assigns, beat, owner, prove };
}

describe('scheduler with an injected clock', () => {
  it('declares a silent prover offline after exactly three heartbeat intervals and fails its op over', () => {
    const { s, clock, prover, submit, assigns, beat, closed } = setup();
    const a = prover('a');
    submit({ ops: [{ id: 'x', name: 'zkp-singleton' }] });
    s.dispatch();
    expect(assigns(a.id)).toHaveLength(1);
    const b = prover('b');
    clock.t += 3 * HB;
    beat(b);
    s.tick();
    expect(closed).toEqual([]);
    clock.t += 1;
    beat(b);
    s.tick();
    expect(closed).toEqual([{ to: a.id, code: 1001 }]);
    s.dispatch();
    expect(assigns(b.id)).toHaveLength(1);
    expect(a.penalty).toMatchObject({ consecutiveFailures: 1, excludedUntil: clock.t + W });
  });

  it('lets an excluded prover back in when its window ends', () => {
    const { s, clock, prover, submit, assigns, beat } = setup();
    const a = prover('a');
    submit({ ops: [{ id: 'x', name: 'zkp-singleton' }, { id: 'y', name: 'zkp-singleton' }] });
    s.dispatch();
    const [first] = assigns(a.id);
    s.fail(a, first!.taskId, 'GAL_ERR_PLUGIN', 'crash');
    s.dispatch();
    expect(assigns(a.id)).toHaveLength(1);
    for (let t = 0; t < W; t += HB / 2) {
      clock.t += HB / 2;
      beat(a);
    }
    s.dispatch();
    expect(assigns(a.id)).toHaveLength(2);
  });

  it('fails the op, and its graph, after the configured number of counted failures', () => {
    const { s, prover, submit, assigns, owner } = setup({ maxFailuresPerOp: 2, exclusionWindowMs: 0 });
    prover('a');
    prover('b');
    const run = submit({ ops: [{ id: 'x', name: 'zkp-singleton', outputs: ['y'] }, { id: 'y', name: 'zkp-singleton', inputs: ['x'] }] });
    for (let i = 0; i < 2; i++) {
      s.dispatch();
      const task = assigns().at(-1)!;
      s.fail(owner(task.taskId), task.taskId, 'E', 'bad');
    }
    const view = s.graphView(run.id)!;
    expect(view.status).toBe('failed');
    expect(view.error).toMatch(/op x failed 2 times/);
    expect(view.ops.get('y')!.status).toBe('waiting');
  });

  describe('disputed inputs', () => {
    const clean = { consecutiveFailures: 0, excludedUntil: null, banned: false };

    it(`fails the graph once ${DISPUTES_TO_FAIL} provers find its inputs unusable, and penalises nobody`, () => {
      const { s, prover, submit, assigns } = setup();
      const [a, b, c] = [prover('a'), prover('b'), prover('c')];
      const run = submit({ ops: [{ id: 'x', name: 'zkp-singleton' }] });
      s.dispatch();
      s.fail(a, assigns(a.id)[0]!.taskId, 'GAL_ERR_INVALID_INPUT', 'the witness is not a .wtns file');
      expect(a.penalty).toEqual(clean);
      s.dispatch();
      // Not offered to the disputing prover again.
      expect(assigns(a.id)).toHaveLength(1);
      s.fail(b, assigns(b.id)[0]!.taskId, 'GAL_ERR_BLOB_HASH', 'input witness hashes to something else');
      const view = s.graphView(run.id)!;
      expect(view.status).toBe('failed');
      expect(view.error).toMatch(/op x: 2 provers found its inputs unusable \(a: GAL_ERR_INVALID_INPUT: the witness is not a \.wtns file; b: GAL_ERR_BLOB_HASH/);
      expect(view.ops.get('x')!.attempts.map((x) => x.outcome)).toEqual(['disputed', 'disputed']);
      for (const p of [a, b, c]) expect(p.penalty).toEqual(clean);
      // The same fail again (an agent resending after a reconnect) is acknowledged as the first was.
      expect(s.fail(a, assigns(a.id)[0]!.taskId, 'GAL_ERR_INVALID_INPUT', 'again')).toEqual({ accepted: true });
    });

    it('penalises a dispute that another prover disproves by delivering, and not the one that delivered', async () => {
      const { s, clock, prover, submit, assigns, prove } = setup();
      const [a, b] = [prover('a'), prover('b')];
      const run = submit({ ops: [{ id: 'x', name: 'zkp-singleton' }] });
      s.dispatch();
      s.fail(a, assigns(a.id)[0]!.taskId, 'GAL_ERR_INVALID_INPUT', 'lazy');
      s.dispatch();
      expect(await prove(assigns(b.id)[0]!.taskId)).toEqual({ accepted: true });
      expect(s.graphView(run.id)!.status).toBe('done');
      expect(a.penalty).toEqual({ consecutiveFailures: 1, excludedUntil: clock.t + W, banned: false });
      expect(b.penalty).toEqual(clean);
    });

    it('fails at once when no other prover the oracle knows could take the op', () => {
      const { s, prover, submit, assigns } = setup();
      const a = prover('a');
      const run = submit({ ops: [{ id: 'x', name: 'zkp-singleton' }] });
      s.dispatch();
      s.fail(a, assigns(a.id)[0]!.taskId, 'GAL_ERR_INVALID_INPUT', 'no such zkey');
      expect(s.graphView(run.id)!).toMatchObject({ status: 'failed', error: expect.stringMatching(/1 prover \(no other could take it\) found its inputs unusable/) });
      expect(a.penalty).toEqual(clean);
    });
  });

  it('tops a redundant op back up to k when one of its provers fails', () => {
    const { s, prover, submit, assigns, owner } = setup({ redundancy: 2 });
    const [a, b, c] = [prover('a'), prover('b'), prover('c')];
    submit({ mode: 'performance', ops: [{ id: 'x', name: 'zkp-singleton' }] });
    s.dispatch();
    // Equal provers: the tie-break is registration order.
    expect(assigns().map((t) => owner(t.taskId))).toEqual([a, b]);
    s.fail(a, assigns(a.id)[0]!.taskId, 'E', 'crash');
    s.dispatch();
    expect(assigns(c.id)).toHaveLength(1);
    expect(s.graphView(assigns()[0]!.graphId)!.ops.get('x')!.deviceIds).toEqual([b.id, c.id]);
  });

  it('makes a high-penalty cost graph redundant', () => {
    const { s, prover, submit, assigns } = setup({ penaltyThreshold: 100, redundancy: 3 });
    [prover('a'), prover('b'), prover('c'), prover('d')];
    submit({ mode: 'cost', penalty: 100, ops: [{ id: 'x', name: 'zkp-singleton' }] });
    s.dispatch();
    expect(assigns()).toHaveLength(3);
    expect(new Set(assigns().map((t) => t.taskId)).size).toBe(3);
  });

  it('orders ready ops by priority, then critical path', async () => {
    const { s, prover, submit, assigns, prove } = setup();
    submit({ ops: [{ id: 'short', name: 'zkp-singleton' }] });
    submit({ ops: [{ id: 'long', name: 'zkp-singleton', outputs: ['tail'] }, { id: 'tail', name: 'zkp-singleton', inputs: ['long'] }] });
    submit({ priority: 3, ops: [{ id: 'urgent', name: 'zkp-singleton' }] });
    const p = prover('only');
    s.dispatch();
    expect(assigns(p.id).map((t) => t.opId)).toEqual(['urgent']);
    for (let i = 0; i < 3; i++) {
      expect(await prove(assigns(p.id).at(-1)!.taskId)).toEqual({ accepted: true });
      s.dispatch();
    }
    // long's path (2 ops) beats short's (1); then tail and short tie and the older graph goes first.
    expect(assigns(p.id).map((t) => t.opId)).toEqual(['urgent', 'long', 'short', 'tail']);
  });

  it("learns each prover's pace from its results and prefers the one that keeps its claims", async () => {
    const { s, clock, prover, submit, assigns, prove } = setup();
    const workload = { msm: [65536] };
    const gas = opGas({ id: 'x', name: 'zkp-singleton', workload } as never).total;
    // Equal claims: each op is forecast at 2 s on either prover.
    const a = prover('a', 1, gas / 2), b = prover('b', 1, gas / 2);
    const op = (id: string) => submit({ ops: [{ id, name: 'zkp-singleton', workload }] });
    const finish = async (p: Prover, ms: number) => {
      clock.t += ms;
      expect(await prove(assigns(p.id).at(-1)!.taskId)).toEqual({ accepted: true });
    };

    op('first');
    s.dispatch();
    expect(assigns(a.id)).toHaveLength(1); // a tie: the earlier registered
    await finish(a, 6000); // three times its forecast
    expect(s.proverView(a).pace).toEqual({ value: 1.5, samples: 1 });

    op('second');
    s.dispatch();
    expect(assigns(b.id)).toHaveLength(1); // b's forecast is now the earlier finish
    await finish(b, 1000); // twice as fast as claimed
    expect(s.proverView(b).pace).toEqual({ value: 0.875, samples: 1 });

    // A task forecast under PACE_MIN_FORECAST_MS leaves the pace alone, however long it takes.
    // (No workload: forecast 0 on both, a tie that goes to a.)
    submit({ ops: [{ id: 'small', name: 'zkp-singleton' }] });
    s.dispatch();
    expect(assigns(a.id)).toHaveLength(2);
    await finish(a, 60_000);
    expect(s.proverView(a).pace).toEqual({ value: 1.5, samples: 1 });
    expect(PACE_MIN_FORECAST_MS).toBe(1000);

    // A ratio past 4 counts as 4.
    op('third');
    s.dispatch();
    expect(assigns(b.id)).toHaveLength(2);
    await finish(b, 100_000);
    expect(s.proverView(b).pace).toEqual({ value: 0.875 + 0.25 * (4 - 0.875), samples: 2 });
  });
});

