export type BackendName = 'cpu' | 'cuda' | 'webgpu';
export type BackendChoice = BackendName | 'auto';
export type FieldName = 'q' | 'r';

/** Per-call settings every kernel accepts. */
export interface CallOptions {
  /** CPU threads for this call; defaults to the value given to loadKernels. */
  threads?: number;
}

export interface MsmOptions extends CallOptions {
  /** Pippenger window in bits; 0 or absent chooses it from n. */
  windowBits?: number;
}

export interface NttOptions extends CallOptions {
  inverse?: boolean;
  /**
   * Evaluate on the coset g·H instead of H. `true` uses g = 5, Fr's
   * multiplicative generator; a bigint or 32-byte encoding gives g itself.
   */
  coset?: boolean | bigint | Uint8Array;
}

/** The kernel API every backend implements (DESIGN §3). */
export interface Kernels {
  readonly backend: BackendName;
  /** Worker threads (CPU) the backend uses per call. */
  readonly threads: number;
  /** Σ s_i·P_i over BN254 G1; points n×64 bytes, scalars n×32 bytes → 64 bytes. */
  msm(points: Uint8Array, scalars: Uint8Array, options?: MsmOptions): Promise<Uint8Array>;
  /**
   * Σ s_i·P_i over BN254 G2 (Groth16's B query); points n×128 bytes
   * (x.c0‖x.c1‖y.c0‖y.c1), scalars n×32 → 128 bytes. Backends without it
   * leave it out; callers fall back to the CPU backend.
   */
  msmG2?(points: Uint8Array, scalars: Uint8Array, options?: CallOptions): Promise<Uint8Array>;
  /** NTT over BN254 Fr, natural order in and out, n a power of two. */
  ntt(values: Uint8Array, options?: NttOptions): Promise<Uint8Array>;
  /** circomlib Poseidon: m hashes of `arity` inputs each → m×32 bytes. */
  poseidon(inputs: Uint8Array, arity: number, options?: CallOptions): Promise<Uint8Array>;
  /** Root of the binary Poseidon Merkle tree over a power-of-two leaf count. */
  poseidonMerkleRoot(leaves: Uint8Array, options?: CallOptions): Promise<Uint8Array>;
  /**
   * GPU backends: gives back the device memory kept between calls, so other
   * programs on the GPU can have it; the next call allocates afresh.
   */
  release?(): void | Promise<void>;
}

export interface LoadOptions {
  backend?: BackendChoice;
  /** CPU threads per call; defaults to the machine's logical cores. */
  threads?: number;
  /** cuda: the device index (default 0; `galactic probe` lists them). */
  device?: number;
  /** cuda: MSMs of fewer points run on the CPU backend (default 4096; 0 keeps every MSM on the GPU). */
  cpuBelow?: number;
}
