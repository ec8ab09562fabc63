/**
 * What the agent tells the oracle about a task it ran. A plugin chooses its
 * outputs, metrics, codes and reasons; a message the oracle's schema refuses
 * would stay in the outbox and be resent forever, so everything here is
 * made acceptable before it is stored: unacceptable results become failures.
 */
import { createHash, type KeyObject } from 'node:crypto';
import type { TaskOutcome } from '../plugins/index.js';
import { ResultSchema, resultPayload, signPayload } from '../protocol/index.js';

export type ResultOrFail =
  | { type: 'result'; taskId: string; attempt: number; outputs: { name: string; sha256: string; size: number }[]; metrics: Record<string, number>; signature: string }
  | { type: 'fail'; taskId: string; code: string; reason: string };

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A failure with a code the oracle takes (else GAL_ERR_PLUGIN, the code kept in the reason) and a reason cut to its limit. */
export function failMessage(taskId: string, code: string, reason: string): ResultOrFail {
  const wellFormed = /^[A-Z][A-Z0-9_]{0,63}$/.test(code);
  return {
    type: 'fail',
    taskId,
    code: wellFormed ? code : 'GAL_ERR_PLUGIN',
    reason: (wellFormed ? reason : `${JSON.stringify(code.slice(0, 64))}: ${reason}`).slice(0, 4096),
  };
}

/** The signed result of a finished task, or the failure it comes to; `outputs` are the blobs to keep until the oracle acknowledges. */
export function taskMessage(
  task: { taskId: string; attempt: number },
  outcome: TaskOutcome,
  key: KeyObject,
): { message: ResultOrFail; outputs: { sha256: string; data: Buffer }[] } {
  if (outcome.status !== 'done') return { message: failMessage(task.taskId, outcome.code, outcome.reason), outputs: [] };
  const outputs = outcome.outputs.map((o) => ({ name: o.name, sha256: sha256(o.data), size: o.data.length }));
  // Metrics travel as JSON, where NaN and the infinities would become null.
  const metrics = Object.fromEntries(Object.entries({ ...outcome.metrics, wallMs: outcome.wallMs }).filter(([, v]) => Number.isFinite(v)));
  const signature = signPayload(resultPayload(task.taskId, task.attempt, outputs), key);
  const message: ResultOrFail = { type: 'result', taskId: task.taskId, attempt: task.attempt, outputs, metrics, signature };
  const checked = ResultSchema.safeParse(message);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const reason = `the plugin's result is not one the oracle accepts: /${issue.path.join('/')} ${issue.message}`;
    return { message: failMessage(task.taskId, 'GAL_ERR_PLUGIN_OUTPUT', reason), outputs: [] };
  }
  return { message, outputs: outcome.outputs.map((o, i) => ({ sha256: outputs[i]!.sha256, data: o.data })) };
}
