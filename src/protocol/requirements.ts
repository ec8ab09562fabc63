/** Does a device descriptor meet an op's requirements? Unknown (null) sections never do. */
import type { DeviceDescriptor, GpuInfo } from './device.js';
import type { GpuRequirement, Requirements } from './graph.js';

const lower = (s: string) => s.toLowerCase();

function capability(text: string | null): number {
  if (!text) return -1;
  const [major, minor] = text.split('.').map(Number);
  return (major ?? -1) * 1000 + (minor ?? 0);
}

function gpuMatches(gpu: GpuInfo, req: GpuRequirement): boolean {
  if (req.vendor && !lower(gpu.vendor).includes(lower(req.vendor))) return false;
  if (req.minMemoryMB !== undefined && (gpu.memoryMB ?? -1) < req.minMemoryMB) return false;
  if (req.minComputeCapability !== undefined && capability(gpu.computeCapability) < capability(req.minComputeCapability)) return false;
  return true;
}

export function meetsRequirements(req: Requirements, device: DeviceDescriptor): boolean {
  if (req.os?.length) {
    if (!device.os || !req.os.some((os) => lower(os) === lower(device.os!.platform))) return false;
  }
  if (req.cpu) {
    const { arch, minCores, flags } = req.cpu;
    if (arch?.length && (!device.os || !arch.some((a) => lower(a) === lower(device.os!.arch)))) return false;
    if (minCores !== undefined || flags?.length) {
      if (!device.cpu) return false;
      const cores = device.cpu.physicalCores || device.cpu.logicalCores;
      if (minCores !== undefined && cores < minCores) return false;
      if (flags?.length && !flags.every((f) => device.cpu!.flags.includes(lower(f)))) return false;
    }
  }
  if (req.memory && (!device.memory || device.memory.totalMB < req.memory.minMB)) return false;
  if (req.gpu) {
    const matching = device.gpus.filter((g) => gpuMatches(g, req.gpu!)).length;
    if (matching < (req.gpu.count ?? 1)) return false;
  }
  return true;
}

/** A stable key for memoising matches: equal requirements, equal key. */
export function requirementsKey(req: Requirements): string {
  return canonicalJson(req);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(value);
}
