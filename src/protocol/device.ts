/**
 * The device descriptor a prover registers with (`galactic probe`). Every
 * section may be null when its source could not be read; `problems` says
 * which source failed and why, so a partial descriptor is still useful.
 */
import { z } from 'zod';

export const DEVICE_SCHEMA_VERSION = 'galactic/device/1';

export const OsInfoSchema = z.object({
  platform: z.string(),
  distro: z.string(),
  release: z.string(),
  kernel: z.string(),
  arch: z.string(),
});

export const CpuInfoSchema = z.object({
  vendor: z.string(),
  brand: z.string(),
  physicalCores: z.number().int().nonnegative(),
  logicalCores: z.number().int().positive(),
  /** GHz; 0 where the platform does not say. */
  speedGHz: z.object({ base: z.number().nonnegative(), max: z.number().nonnegative() }),
  /** The instruction-set flags the kernels care about that this CPU has. */
  flags: z.array(z.string()),
});

export const MemoryInfoSchema = z.object({
  totalMB: z.number().nonnegative(),
  availableMB: z.number().nonnegative(),
});

export const GpuInfoSchema = z.object({
  vendor: z.string(),
  model: z.string(),
  memoryMB: z.number().nonnegative().nullable(),
  driver: z.string().nullable(),
  /** NVIDIA only (from nvidia-smi): "9.0" for an H100. */
  computeCapability: z.string().nullable(),
  uuid: z.string().nullable(),
  pciBusId: z.string().nullable(),
});

export const AvailabilitySchema = z.object({
  available: z.boolean(),
  /** Why not, when not available. */
  reason: z.string().optional(),
});

export const WebGpuAdapterSchema = z.object({
  vendor: z.string(),
  architecture: z.string(),
  device: z.string(),
  description: z.string(),
  /** Dawn's backend: vulkan, metal, d3d12, or opengles (llvmpipe when no GPU). */
  backend: z.string(),
  /** A CPU emulation of a GPU (llvmpipe, SwiftShader): 'auto' does not choose it. */
  software: z.boolean(),
});

export const CudaDeviceSchema = z.object({
  /** The index LoadOptions.device takes. */
  index: z.number().int().nonnegative(),
  name: z.string(),
  computeCapability: z.string(),
  multiprocessors: z.number().int().nonnegative(),
  memoryMB: z.number().nonnegative(),
  pciBusId: z.string(),
});

export const DeviceDescriptorSchema = z.object({
  schema: z.literal(DEVICE_SCHEMA_VERSION),
  probedAt: z.string(),
  os: OsInfoSchema.nullable(),
  cpu: CpuInfoSchema.nullable(),
  memory: MemoryInfoSchema.nullable(),
  gpus: z.array(GpuInfoSchema),
  docker: AvailabilitySchema.extend({ version: z.string().optional() }),
  /** Kernel backends (cpu, cuda, webgpu) and whether each loads here. */
  backends: z.array(AvailabilitySchema.extend({ name: z.string(), software: z.boolean().optional() })),
  /** The WebGPU adapter the webgpu backend would use (absent from older agents). */
  webgpu: AvailabilitySchema.extend({ adapter: WebGpuAdapterSchema.optional() }).optional(),
  /**
   * The CUDA runtime's devices and the architectures the CUDA module was
   * built for (absent from older agents).
   */
  cuda: AvailabilitySchema.extend({ architectures: z.string().optional(), devices: z.array(CudaDeviceSchema) }).optional(),
  /** Sources that could not be read: the rest of the descriptor still holds. */
  problems: z.array(z.object({ source: z.string(), message: z.string() })),
});

export type OsInfo = z.infer<typeof OsInfoSchema>;
export type CpuInfo = z.infer<typeof CpuInfoSchema>;
export type MemoryInfo = z.infer<typeof MemoryInfoSchema>;
export type GpuInfo = z.infer<typeof GpuInfoSchema>;
export type CudaDeviceInfo = z.infer<typeof CudaDeviceSchema>;
export type WebGpuAdapter = z.infer<typeof WebGpuAdapterSchema>;
export type DeviceDescriptor = z.infer<typeof DeviceDescriptorSchema>;
