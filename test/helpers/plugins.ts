/** A task for the `behaviour` test plugin (test/fixtures/plugins/behaviour.mjs). */
import type { TaskRequest } from '../../src/plugins/index.js';

let n = 0;

export function behaviourTask(mode: 'efficient' | 'performance', params: Record<string, unknown>, extra: Partial<TaskRequest> = {}): TaskRequest {
  return {
    plugin: 'behaviour',
    taskId: `t_${++n}`,
    taskType: 'zkp-singleton',
    mode,
    inputs: [{ name: 'witness', data: Buffer.from('w') }],
    params,
    deadlineMs: Date.now() + 20_000,
    ...extra,
  };
}
