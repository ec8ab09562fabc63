import { describe, expect, it } from 'vitest';
import { servePlugin } from '../../src/plugins/sdk/index.js';

describe('servePlugin', () => {
  it('rejects a definition it cannot serve, and a missing socket, with codes', async () => {
    await expect(servePlugin({} as never)).rejects.toMatchObject({ code: 'GAL_ERR_INVALID_ARGUMENT' });
    await expect(servePlugin({ info: { name: 'x' }, prove: async () => ({ outputs: [] }) } as never)).rejects.toMatchObject({ code: 'GAL_ERR_INVALID_ARGUMENT' });
    const saved = process.env.GALACTIC_PLUGIN_SOCKET;
    delete process.env.GALACTIC_PLUGIN_SOCKET;
    try {
      await expect(servePlugin({ info: { name: 'x', version: '1', taskTypes: [] }, prove: async () => ({ outputs: [] }) })).rejects.toMatchObject({ code: 'GAL_ERR_CONFIG' });
    } finally {
      if (saved !== undefined) process.env.GALACTIC_PLUGIN_SOCKET = saved;
    }
  });
});
