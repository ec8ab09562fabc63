import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginHost, ProcessDriver, type TaskOutcome } from '../../src/plugins/index.js';
import { behaviourTask } from '../helpers/plugins.js';

const plugin = fileURLToPath(new URL('../fixtures/plugins/behaviour.mjs', import.meta.url));
let dir: string;
let host: PluginHost;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gp-'));
  host = new PluginHost({ baseDir: join(dir, 'p'), stopGraceMs: 300, idleMs: 60_000 });
  host.register({ name: 'behaviour', driver: new ProcessDriver(), spec: { command: [process.execPath, plugin] }, init: { params: {} } });
});
afterEach(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

const instanceOf = (o: TaskOutcome) => (o.status === 'done' ? JSON.parse(o.outputs.find((x) => x.name === 'instance')!.data.toString()) : null);

describe.each(['efficient', 'performance'] as const)('process driver, %s mode', (mode) => {
  it('proves, streaming progress, with file and byte outputs', async () => {
    const progress: number[] = [];
    const input = join(dir, 'input.bin');
    writeFileSync(input, 'from a file');
    const o = await host.run(behaviourTask(mode, {}, { inputs: [{ name: 'witness', path: input }], onProgress: (f) => progress.push(f) }));
    expect(o.status).toBe('done');
    if (o.status !== 'done') return;
    const proof = JSON.parse(o.outputs[0]!.data.toString());
    expect(proof.type).toBe('zkp-singleton');
    // The plugin read a copy staged inside its work directory, not the caller's path.
    expect(proof.input).not.toBe(input);
    expect(progress).toEqual([0.5]);
  });

  it('ends each misbehaviour as a clean outcome', async () => {
    const fail = await host.run(behaviourTask(mode, { behaviour: 'fail' }));
    expect(fail).toMatchObject({ status: 'failed', code: 'GAL_ERR_TEST_FAILURE', reason: 'asked to fail' });
    const hang = await host.run(behaviourTask(mode, { behaviour: 'hang' }, { deadlineMs: Date.now() + 300 }));
    expect(hang).toMatchObject({ status: 'timeout', code: 'GAL_ERR_PLUGIN_TIMEOUT', forced: false });
    const crash = await host.run(behaviourTask(mode, { behaviour: 'crash' }));
    expect(crash).toMatchObject({ status: 'crashed', code: 'GAL_ERR_PLUGIN_CRASHED' });
    expect((crash as { reason: string }).reason).toMatch(/exited with code 3/);
    const stubborn = new AbortController();
    setTimeout(() => stubborn.abort(), 200);
    const ignored = await host.run(behaviourTask(mode, { behaviour: 'ignore-stop' }, { signal: stubborn.signal }));
    expect(ignored).toMatchObject({ status: 'cancelled', code: 'GAL_ERR_CANCELLED', forced: true });
    // Outputs that are not regular files are refused, not read (a FIFO would block the agent for good).
    for (const behaviour of ['fifo-output', 'directory-output'])
      expect(await host.run(behaviourTask(mode, { behaviour }))).toMatchObject({ status: 'failed', code: 'GAL_ERR_PLUGIN_OUTPUT', reason: expect.stringMatching(/is not a regular file/) });
    // And the host still proves afterwards.
    expect((await host.run(behaviourTask(mode, {}))).status).toBe('done');
  });

  it('cancels a task that honours Stop', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const o = await host.run(behaviourTask(mode, { behaviour: 'hang' }, { signal: abort.signal }));
    expect(o).toMatchObject({ status: 'cancelled', forced: false });
  });
});

describe('modes', () => {
  it('efficient: a fresh instance per task, nothing left behind', async () => {
    const a = instanceOf(await host.run(behaviourTask('efficient', {})));
    const b = instanceOf(await host.run(behaviourTask('efficient', {})));
    expect(a.pid).not.toBe(b.pid);
    expect([a.inits, a.tasks, b.inits, b.tasks]).toEqual([1, 1, 1, 1]);
    expect(host.instances()).toEqual([]);
  });

  it('performance: one warm instance, Init once, restarted after it dies, evicted when idle', async () => {
    const idleHost = new PluginHost({ baseDir: join(dir, 'q'), stopGraceMs: 300, idleMs: 400 });
    idleHost.register({ name: 'behaviour', driver: new ProcessDriver(), spec: { command: [process.execPath, plugin] }, init: { params: {} } });
    try {
      const a = instanceOf(await idleHost.run(behaviourTask('performance', {})));
      const b = instanceOf(await idleHost.run(behaviourTask('performance', {})));
      expect(b.pid).toBe(a.pid);
      expect([b.inits, b.tasks]).toEqual([1, 2]);
      expect(idleHost.instances()).toHaveLength(1);
      expect((await idleHost.run(behaviourTask('performance', { behaviour: 'crash' }))).status).toBe('crashed');
      const c = instanceOf(await idleHost.run(behaviourTask('performance', {})));
      expect(c.pid).not.toBe(a.pid);
      expect([c.inits, c.tasks]).toEqual([1, 1]);
      await new Promise((r) => setTimeout(r, 900));
      expect(idleHost.instances()).toEqual([]);
      expect(() => process.kill(c.pid, 0)).toThrow();
    } finally {
      await idleHost.close();
    }
  });

  it('reports a plugin that cannot start or init, or is unknown', async () => {
    host.register({ name: 'missing', driver: new ProcessDriver(), spec: { command: [join(dir, 'no-such-binary')] } });
    expect(await host.run({ ...behaviourTask('efficient', {}), plugin: 'missing' })).toMatchObject({ status: 'failed', code: 'GAL_ERR_PLUGIN_START' });
    host.register({ name: 'refuses', driver: new ProcessDriver(), spec: { command: [process.execPath, plugin] }, init: { params: { refuse: true } } });
    const refused = await host.run({ ...behaviourTask('performance', {}), plugin: 'refuses' });
    expect(refused).toMatchObject({ status: 'failed', code: 'GAL_ERR_PLUGIN_START' });
    expect((refused as { reason: string }).reason).toMatch(/no good/);
    expect(await host.run({ ...behaviourTask('efficient', {}), plugin: 'nope' })).toMatchObject({ code: 'GAL_ERR_PLUGIN_UNKNOWN' });
    expect(await host.run({ ...behaviourTask('efficient', {}), taskType: 'zkp-aggregation' })).toMatchObject({ code: 'GAL_ERR_PLUGIN_TASK_TYPE' });
  });
});
