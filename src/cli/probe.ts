/** `galactic probe [--json]`: this machine's device descriptor. */
import type { Command } from 'commander';
import { probe } from '../probe/index.js';
import type { DeviceDescriptor } from '../protocol/index.js';

export function formatDescriptor(d: DeviceDescriptor): string {
  const rows: [string, string][] = [];
  const none = (why: string) => `— (${why})`;
  rows.push(['OS', d.os ? `${d.os.distro} ${d.os.release}, ${d.os.platform} ${d.os.arch}, kernel ${d.os.kernel}` : none('unreadable')]);
  rows.push([
    'CPU',
    d.cpu
      ? `${d.cpu.brand} (${d.cpu.vendor}), ${d.cpu.physicalCores} cores / ${d.cpu.logicalCores} threads` +
        (d.cpu.speedGHz.max ? `, up to ${d.cpu.speedGHz.max} GHz` : '')
      : none('unreadable'),
  ]);
  if (d.cpu) rows.push(['CPU flags', d.cpu.flags.join(' ') || 'none of interest']);
  rows.push(['Memory', d.memory ? `${d.memory.totalMB} MB, ${d.memory.availableMB} MB available` : none('unreadable')]);
  if (d.gpus.length === 0) rows.push(['GPU', 'none found']);
  d.gpus.forEach((g, i) => {
    const extra = [g.memoryMB !== null && `${g.memoryMB} MB`, g.computeCapability && `sm ${g.computeCapability}`, g.driver && `driver ${g.driver}`, g.pciBusId];
    rows.push([`GPU ${i}`, `${g.vendor} ${g.model}${extra.some(Boolean) ? ` (${extra.filter(Boolean).join(', ')})` : ''}`]);
  });
  rows.push(['Docker', d.docker.available ? `daemon ${d.docker.version}` : `unavailable: ${d.docker.reason}`]);
  for (const b of d.backends) rows.push([`Backend ${b.name}`, b.available ? 'available' : `unavailable: ${b.reason}`]);
  if (d.webgpu) {
    const a = d.webgpu.adapter;
    rows.push(['WebGPU adapter', a ? `${[a.vendor, a.device || a.description].filter(Boolean).join(' ')} (${a.backend}${a.software ? ', software emulation' : ''})` : `none: ${d.webgpu.reason}`]);
  }
  if (d.cuda) {
    if (d.cuda.devices.length === 0) rows.push(['CUDA', `none: ${d.cuda.reason}`]);
    for (const g of d.cuda.devices)
      rows.push([`CUDA device ${g.index}`, `${g.name} (sm ${g.computeCapability}, ${g.multiprocessors} SMs, ${g.memoryMB} MB, ${g.pciBusId})`]);
    if (d.cuda.architectures) rows.push(['CUDA module', `built for sm ${d.cuda.architectures.split(',').join(', sm ')}`]);
  }
  for (const p of d.problems) rows.push(['Unread', `${p.source}: ${p.message}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description("print this machine's device descriptor (OS, CPU, memory, GPUs, CUDA devices, WebGPU adapter, Docker, kernel backends)")
    .option('--json', 'print the descriptor as JSON')
    .action(async (opts: { json?: boolean }) => {
      const descriptor = await probe();
      process.stdout.write(opts.json ? JSON.stringify(descriptor, null, 2) + '\n' : formatDescriptor(descriptor) + '\n');
    });
}
