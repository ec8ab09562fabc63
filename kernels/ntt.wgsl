// NTT over BN254 Fr, natural order in and out: Stockham passes of two
// radix-2 stages (one alone when log n is odd), decimation in frequency,
// which sorts itself, so no bit reversal.
//
// Stage with stride s (1, 2, 4, …, n/2), m = n/(2s), for p < m and q < s:
//   a = x[q + s·p], b = x[q + s·(p + m)]
//   y[q + s·2p] = a + b,  y[q + s·(2p + 1)] = (a − b)·ω^(p·s)
// ping-ponging between two buffers. Twiddles ω^i (i < n/2) live in a buffer
// built once per size and direction from two short tables (ω^i = hi·lo).
// Powers of the coset shift are made the same way on the fly.

struct Params {
  n: u32,
  stride: u32,
  split: u32,        // low bits of an exponent served by the `lo` table
  base: u32,         // first element of this run, for error reports
  _pad0: u32, _pad1: u32, _pad2: u32, _pad3: u32,
  // The canonical factor applied on the way out (1 or 1/n), as two vectors:
  // uniform arrays need a 16-byte element stride.
  scale_lo: vec4u,
  scale_hi: vec4u,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@group(0) @binding(3) var<storage, read> twiddles: array<u32>;
// Two-level powers: lo[k] = g^k for k < 2^split, hi[k] = g^(k·2^split).
@group(0) @binding(4) var<storage, read> lo: array<u32>;
@group(0) @binding(5) var<storage, read> hi: array<u32>;
@group(0) @binding(6) var<storage, read_write> status: array<atomic<u32>, 4>;

fn load_src(i: u32) -> Fe {
  var a: Fe;
  for (var k = 0u; k < 8u; k++) { a[k] = src[8u * i + k]; }
  return a;
}

fn store_src(i: u32, a: Fe) {
  for (var k = 0u; k < 8u; k++) { src[8u * i + k] = a[k]; }
}

fn store_dst(i: u32, a: Fe) {
  for (var k = 0u; k < 8u; k++) { dst[8u * i + k] = a[k]; }
}

fn load_twiddle(i: u32) -> Fe {
  var a: Fe;
  for (var k = 0u; k < 8u; k++) { a[k] = twiddles[8u * i + k]; }
  return a;
}

// g^e in Montgomery form from the two tables.
fn power(e: u32) -> Fe {
  let l = e & ((1u << params.split) - 1u);
  let h = e >> params.split;
  var a: Fe;
  var b: Fe;
  for (var k = 0u; k < 8u; k++) {
    a[k] = lo[8u * l + k];
    b[k] = hi[8u * h + k];
  }
  return fr_mul(a, b);
}

// twiddles[i] = ω^i for i < n/2 (dst is the twiddle buffer in this pass).
@compute @workgroup_size(WG)
fn make_twiddles(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear_id(gid, nwg);
  if (i >= params.n / 2u) { return; }
  store_dst(i, power(i));
}

// Canonical values → Montgomery form, range checked; `enter_coset` also
// multiplies by g^i. Coset and plain are separate entry points rather than
// a flag: llvmpipe runs the body of an if whether or not a lane takes it,
// and the untaken coset product doubled the plain entry's time.
fn entered(i: u32) -> Fe {
  var a = load_src(i);
  if (!fr_is_canonical(a)) {
    atomicMin(&status[0], params.base + i);
    a = FE_ZERO;
  }
  return fr_to_mont(a);
}

@compute @workgroup_size(WG)
fn enter(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear_id(gid, nwg);
  if (i >= params.n) { return; }
  store_src(i, entered(i));
}

@compute @workgroup_size(WG)
fn enter_coset(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear_id(gid, nwg);
  if (i >= params.n) { return; }
  store_src(i, fr_mul(entered(i), power(i)));
}

@compute @workgroup_size(WG)
fn stage(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear_id(gid, nwg);
  let s = params.stride;
  let m = params.n / (2u * s);
  if (t >= params.n / 2u) { return; }
  let p = t / s;
  let q = t % s;
  let a = load_src(q + s * p);
  let b = load_src(q + s * (p + m));
  store_dst(q + s * 2u * p, fr_add(a, b));
  store_dst(q + s * (2u * p + 1u), fr_mul(fr_sub(a, b), load_twiddle(p * s)));
}

// Two stages in one pass, strides s and 2s (radix 4): half the passes
// over the array. Thread (p, q), p < m/2: the stride-s butterflies of p and
// p + m/2, then the two stride-2s butterflies their four results form.
// (llvmpipe, 2^20: 38 ms a pass against 2 × 21.5 ms for the two radix-2
// stages; on a GPU, where a stage waits on memory, the gain should be more.)
@compute @workgroup_size(WG)
fn stage4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear_id(gid, nwg);
  let s = params.stride;
  let m = params.n / (2u * s);
  if (t >= params.n / 4u) { return; }
  let p = t / s;
  let q = t % s;
  let h = m / 2u;
  let x0 = load_src(q + s * p);
  let x1 = load_src(q + s * (p + m));
  let x2 = load_src(q + s * (p + h));
  let x3 = load_src(q + s * (p + h + m));
  let a0 = fr_add(x0, x1);
  let a1 = fr_mul(fr_sub(x0, x1), load_twiddle(p * s));
  let a2 = fr_add(x2, x3);
  let a3 = fr_mul(fr_sub(x2, x3), load_twiddle((p + h) * s));
  let w = load_twiddle(p * 2u * s);
  store_dst(q + 4u * s * p, fr_add(a0, a2));
  store_dst(q + 2u * s * (2u * p + 1u), fr_mul(fr_sub(a0, a2), w));
  store_dst(q + s + 4u * s * p, fr_add(a1, a3));
  store_dst(q + s + 2u * s * (2u * p + 1u), fr_mul(fr_sub(a1, a3), w));
}

// Montgomery form → canonical, times the scale (1/n for an inverse): one
// Montgomery product removes R and applies a canonical factor at once;
// `leave_coset` first multiplies by g^−i (an inverse coset).
fn scale() -> Fe {
  let lo4 = params.scale_lo;
  let hi4 = params.scale_hi;
  return Fe(lo4.x, lo4.y, lo4.z, lo4.w, hi4.x, hi4.y, hi4.z, hi4.w);
}

@compute @workgroup_size(WG)
fn leave(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear_id(gid, nwg);
  if (i >= params.n) { return; }
  store_src(i, fr_mul(load_src(i), scale()));
}

@compute @workgroup_size(WG)
fn leave_coset(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear_id(gid, nwg);
  if (i >= params.n) { return; }
  store_src(i, fr_mul(fr_mul(load_src(i), power(i)), scale()));
}
