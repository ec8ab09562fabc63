/** Failure drills on one machine: an oracle and several agents, each its own process and identity. */
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groth16Fixture, type Groth16Fixture } from '../helpers/groth16.js';
import { waitUntil } from '../helpers/link-client.js';
import { graphDone, processFixture, putBlob } from '../helpers/processes.js';

const px = processFixture();
let fx: Groth16Fixture;
let root: string;

beforeAll(async () => {
  fx = await groth16Fixture('chain', { x: 3 });
  root = mkdtempSync(join(tmpdir(), 'gd-'));
  writeFileSync(join(root, 'agent.json'), JSON.stringify({ backoffBaseMs: 100, backoffMaxMs: 1000, prewarm: false, fullBenchmarkInBackground: false }));
  writeFileSync(join(root, 'vkey.json'), JSON.stringify(fx.vkey));
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function network(names: string[], oracleArgs: string[] = []) {
  const oracle = await px.oracle(['--open', '--port', '0', '--data-dir', join(root, `oracle-${Date.now()}`), '--heartbeat-ms', '500', ...oracleArgs]);
  const agents = names.map((name) => {
    const data = join(root, `${name}-${Date.now()}`);
    return { name, data, ...px.agent(['--oracle', oracle.url, '--data-dir', data, '--name', name, '--config', join(root, 'agent.json')]) };
  });
  for (const a of agents) await px.ready(a.data);
  const [zkey, witness, vkey] = [await putBlob(oracle.url, fx.zkey), await putBlob(oracle.url, fx.wtns), await putBlob(oracle.url, join(root, 'vkey.json'))];
  const submit = async (witnessBlob = witness) => {
    const res = await fetch(`${oracle.url}/v1/graphs`, { method: 'POST', body: JSON.stringify({ ops: [{ id: 'p', name: 'zkp-singleton', params: { zkey: { blob: zkey }, witness: { blob: witnessBlob }, vkey: { blob: vkey } } }] }) });
    return ((await res.json()) as { id: string }).id;
  };
  const provers = async () => (await (await fetch(`${oracle.url}/v1/provers`)).json()) as any[];
  return { oracle, agents, submit, provers };
}

/** Kills the plugin processes an agent runs (those working under its data dir). */
function killPlugins(data: string): number {
  const pids = readdirSync('/proc').filter((pid) => {
    try {
      return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('plugins/groth16/main.mjs') && readlinkSync(`/proc/${pid}/cwd`).startsWith(data);
    } catch {
      return false;
    }
  });
  for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
  return pids.length;
}

/** The agent that accepted the task (its result is not sent while it is listed as running). */
async function busyAgent(agents: { name: string; data: string }[]) {
  return waitUntil(async () => {
    for (const a of agents) if ((await px.status(a.data)).running.length > 0) return a;
    return undefined;
  }, 20_000, 'an agent running the task');
}

describe('drills', () => {
  it('an agent killed mid-task: the op is rescheduled to another agent and the killed prover excluded', async () => {
    const { oracle, agents, submit, provers } = await network(['drill-a', 'drill-b']);
    const id = await submit();
    const victim = (await busyAgent(agents)) as (typeof agents)[number];
    (agents.find((a) => a.name === victim.name) as any).child.kill('SIGKILL');
    const g = await graphDone(oracle.url, id);
    const survivor = agents.find((a) => a.name !== victim.name)!;
    expect(g.ops[0].attempts.map((a: any) => [a.proverName, a.outcome])).toEqual([[victim.name, 'lost'], [survivor.name, 'done']]);
    expect(g.ops[0].verification).toBe('verified');
    const killed = (await provers()).find((p) => p.name === victim.name);
    expect(killed).toMatchObject({ state: 'offline', penalty: { consecutiveFailures: 1 } });
    expect(killed.penalty.excludedUntil).toBeGreaterThan(Date.now());
  });

  it("a requester's witness that does not satisfy the circuit: two agents dispute it, the graph fails, nobody is penalised", async () => {
    const { oracle, submit, provers } = await network(['judge-a', 'judge-b']);
    // A well-formed witness with its last value changed: it proves, but the proof cannot verify.
    const wtns = readFileSync(fx.wtns);
    wtns[wtns.length - 32]! ^= 1;
    const bentFile = join(root, 'bent.wtns');
    writeFileSync(bentFile, wtns);
    const bad = await submit(await putBlob(oracle.url, bentFile));
    const g = await waitUntil(async () => {
      const doc = (await (await fetch(`${oracle.url}/v1/graphs/${bad}`)).json()) as any;
      return doc.status === 'running' || doc.status === 'pending' ? undefined : doc;
    }, 60_000, 'the graph to end');
    expect(g.status).toBe('failed');
    expect(g.error).toMatch(/2 provers found its inputs unusable .*does not satisfy the circuit/);
    expect(g.ops[0].attempts.map((a: any) => a.outcome)).toEqual(['disputed', 'disputed']);
    for (const p of await provers()) expect(p.penalty).toMatchObject({ consecutiveFailures: 0, excludedUntil: null, banned: false });
    // And the same network proves the next graph.
    expect((await graphDone(oracle.url, await submit())).ops[0].verification).toBe('verified');
  });

  it('a plugin that crashes: the agent reports it, the op completes elsewhere, nothing is counted twice', async () => {
    const { oracle, agents, submit, provers } = await network(['crash-a', 'crash-b']);
    const id = await submit();
    const victim = (await busyAgent(agents))!;
    // Its plugin dies as soon as it is there, before it can answer.
    const killer = setInterval(() => killPlugins(victim.data), 5);
    const firstEnded = async () => ((await (await fetch(`${oracle.url}/v1/graphs/${id}`)).json()) as any).ops[0].attempts[0]?.outcome;
    try {
      await waitUntil(async () => (await firstEnded()) != null, 30_000, 'the first attempt ended');
    } finally {
      clearInterval(killer);
    }
    const g = await graphDone(oracle.url, id);
    const outcomes = g.ops[0].attempts.map((a: any) => [a.proverName, a.outcome]);
    expect(outcomes[0]).toEqual([victim.name, 'failed']);
    // Killed while starting or while proving: either way a crash of this prover's plugin.
    expect(g.ops[0].attempts[0].reason).toMatch(/GAL_ERR_PLUGIN_(CRASHED|START)/);
    expect(outcomes.at(-1)![1]).toBe('done');
    expect(g.ops[0].attempts.filter((a: any) => a.outcome === 'done')).toHaveLength(1);
    expect((await provers()).find((p) => p.name === victim.name).penalty.consecutiveFailures).toBe(1);
    // The agent itself survived its plugin.
    expect((await px.status(victim.data)).state).toBe('ready');
  });

  it('a prover that keeps failing is banned for good, and the machine returns under a new name to finish the graph', async () => {
    // No exclusion window, so the failing prover gets the op back at once and fails it four times in a row.
    const { oracle, agents, submit, provers } = await network(['unlucky'], ['--exclusion-window-ms', '0']);
    const [unlucky] = agents;
    const id = await submit();
    const failed = async () => ((await (await fetch(`${oracle.url}/v1/graphs/${id}`)).json()) as any).ops[0].attempts.filter((a: any) => a.outcome === 'failed').length;
    // Its plugins die as soon as they appear, so every attempt fails on this prover.
    const killer = setInterval(() => killPlugins(unlucky!.data), 5);
    try {
      await waitUntil(async () => (await failed()) >= 4, 60_000, 'four failures counted');
    } finally {
      clearInterval(killer);
    }
    expect(await px.exited((unlucky as any).child)).toBe(3);
    expect((await provers()).find((p) => p.name === 'unlucky')).toMatchObject({ state: 'banned', penalty: { banned: true, consecutiveFailures: 4 } });
    // Same machine, same key, a new name: it gets in and finishes the graph.
    px.agent(['--oracle', oracle.url, '--data-dir', unlucky!.data, '--name', 'lucky', '--config', join(root, 'agent.json')]);
    const g = await graphDone(oracle.url, id);
    const outcomes = g.ops[0].attempts.map((a: any) => [a.proverName, a.outcome]);
    expect(outcomes).toEqual([...Array(4).fill(['unlucky', 'failed']), ['lucky', 'done']]);
    expect(g.ops[0].verification).toBe('verified');
  });
});
