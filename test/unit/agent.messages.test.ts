import { describe, expect, it } from 'vitest';
import { taskMessage } from '../../src/agent/messages.js';
import type { TaskOutcome } from '../../src/plugins/index.js';
import { FailSchema, ResultSchema, generateIdentity, privateKeyObject, publicKeyObject, resultPayload, verifyPayload } from '../../src/protocol/index.js';

const pair = generateIdentity();
const key = privateKeyObject(pair.privateKey);
const task = { taskId: 't_1', attempt: 2 };
const done = (outputs: { name: string; data: Buffer }[], metrics: Record<string, number> = {}): TaskOutcome => ({ status: 'done', outputs, metrics, wallMs: 12 });

describe('what the agent tells the oracle about a task', () => {
  it('a result: signed over its outputs, with the blobs to keep, and only finite metrics', () => {
    const { message, outputs } = taskMessage(task, done([{ name: 'proof.json', data: Buffer.from('p') }], { msm: 3.5, broken: NaN, huge: Infinity }), key);
    expect(ResultSchema.parse(message)).toEqual(message);
    if (message.type !== 'result') throw new Error('expected a result');
    expect(message.metrics).toEqual({ msm: 3.5, wallMs: 12 });
    expect(outputs.map((o) => o.sha256)).toEqual(message.outputs.map((o) => o.sha256));
    expect(verifyPayload(resultPayload('t_1', 2, message.outputs), message.signature, publicKeyObject(pair.publicKey))).toBe(true);
  });

  it.each([
    ['65 outputs', Array.from({ length: 65 }, (_, i) => ({ name: `o${i}`, data: Buffer.from([i]) })), /\/outputs /],
    ['a name of 300 characters', [{ name: 'n'.repeat(300), data: Buffer.from('x') }], /\/outputs\/0\/name /],
    ['an empty name', [{ name: '', data: Buffer.from('x') }], /\/outputs\/0\/name /],
  ])('a result the oracle would refuse (%s) is a failure, and keeps no blobs', (_what, outs, where) => {
    const { message, outputs } = taskMessage(task, done(outs), key);
    expect(FailSchema.parse(message)).toEqual(message);
    expect(message).toMatchObject({ code: 'GAL_ERR_PLUGIN_OUTPUT', reason: expect.stringMatching(where) });
    expect(outputs).toEqual([]);
  });

  it("a plugin's failure keeps a well-formed code, and is cut to what the oracle takes otherwise", () => {
    const fail = (code: string, reason: string): TaskOutcome => ({ status: 'failed', code, reason, forced: false, wallMs: 1 });
    expect(taskMessage(task, fail('GAL_ERR_INVALID_INPUT', 'no witness'), key).message).toEqual({ type: 'fail', taskId: 't_1', code: 'GAL_ERR_INVALID_INPUT', reason: 'no witness' });
    for (const code of ['', 'lower', 'X'.repeat(65), 'SPACE IN IT', '{"json":1}']) {
      const { message } = taskMessage(task, fail(code, 'r'.repeat(10_000)), key);
      expect(FailSchema.parse(message)).toEqual(message);
      expect(message).toMatchObject({ code: 'GAL_ERR_PLUGIN', reason: expect.stringMatching(/^".*": r+$/) });
      expect((message as { reason: string }).reason).toHaveLength(4096);
    }
  });
});
