// Pippenger MSM over BN254 G1 (Σ s_i·P_i), a chunk of points per run.
//
// Passes, one command buffer a chunk:
//   prepare_points   range and curve checks, coordinates into Montgomery form
//   count_digits     scalar range check, signed window digits, bucket sizes
//   scan_buckets     per window: exclusive prefix sums → bucket starts
//   scatter          (point index, sign) into its bucket's slot: a CSR transpose
//   bucket_sum       one invocation per run of buckets: Σ ±P in XYZZ, added
//                    to the earlier chunks' sum of each bucket
// and after the last chunk only:
//   reduce_groups    running sums over a group of buckets
//   combine_windows  the groups' sums weighted into the window's sum
// The host reads the window sums and does the Horner combination.
//
// Digits are signed: each window's c bits plus the carry from the window
// below, taken as v − 2^c with a carry out when v > 2^(c−1), so a window
// needs only 2^(c−1) buckets (digit d > 0 → bucket d − 1).
//
// A bucket list entry: the point's index in the chunk (bits 0–21; a chunk
// holds at most 2^22 points), its bucket's place in its run of bucket_run
// buckets (bits 22–30; runs of at most 512), and the digit's sign (bit 31).
const ENTRY_POINT_MASK = 0x3fffffu;
const ENTRY_RUN_SHIFT = 22u;
const ENTRY_RUN_MASK = 0x1ffu;
const ENTRY_NEGATIVE = 0x80000000u;

struct Params {
  n: u32,            // points in this chunk
  c: u32,            // window bits
  windows: u32,
  buckets: u32,      // 2^(c−1) per window
  groups: u32,       // bucket groups per window in the reduction
  group_size: u32,   // buckets / groups
  base: u32,         // index of this chunk's first point, for error reports
  accumulate: u32,   // 1: the bucket sums hold earlier chunks' sums, add to them
  bucket_run: u32,   // neighbouring buckets one bucket_sum invocation sums, a power of two
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> points: array<u32>;   // n × 16 words
@group(0) @binding(2) var<storage, read> scalars: array<u32>;        // n × 8 words
@group(0) @binding(3) var<storage, read_write> cursor: array<atomic<u32>>;  // windows × buckets
@group(0) @binding(4) var<storage, read_write> starts: array<u32>;   // windows × buckets
@group(0) @binding(5) var<storage, read_write> list: array<u32>;     // windows × n
// XYZZ points of 32 words: windows × buckets bucket sums, then the groups'
// partial sums (windows × groups × 2), then the window sums (windows).
@group(0) @binding(6) var<storage, read_write> sums: array<u32>;
// Lowest failing index per check: scalar ≥ r, coordinate ≥ q, off the curve.
@group(0) @binding(7) var<storage, read_write> status: array<atomic<u32>, 4>;

fn load_point(i: u32) -> Affine {
  var p: Affine;
  for (var k = 0u; k < 8u; k++) {
    p.x[k] = points[16u * i + k];
    p.y[k] = points[16u * i + 8u + k];
  }
  return p;
}

fn store_sum(index: u32, p: Xyzz) {
  let o = 32u * index;
  for (var k = 0u; k < 8u; k++) {
    sums[o + k] = p.x[k];
    sums[o + 8u + k] = p.y[k];
    sums[o + 16u + k] = p.zz[k];
    sums[o + 24u + k] = p.zzz[k];
  }
}

fn load_sum(index: u32) -> Xyzz {
  let o = 32u * index;
  var p: Xyzz;
  for (var k = 0u; k < 8u; k++) {
    p.x[k] = sums[o + k];
    p.y[k] = sums[o + 8u + k];
    p.zz[k] = sums[o + 16u + k];
    p.zzz[k] = sums[o + 24u + k];
  }
  return p;
}

// Where the groups' partial sums start in `sums`.
fn partials_at() -> u32 { return params.windows * params.buckets; }

@compute @workgroup_size(WG)
fn prepare_points(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear_id(gid, nwg);
  if (i >= params.n) { return; }
  var p = load_point(i);
  if (affine_is_inf(p)) { return; }
  if (!fq_is_canonical(p.x) || !fq_is_canonical(p.y)) {
    atomicMin(&status[1], params.base + i);
    p = Affine(FE_ZERO, FE_ZERO);
  } else {
    p = Affine(fq_to_mont(p.x), fq_to_mont(p.y));
    if (!affine_on_curve(p)) {
      atomicMin(&status[2], params.base + i);
      p = Affine(FE_ZERO, FE_ZERO);
    }
  }
  for (var k = 0u; k < 8u; k++) {
    points[16u * i + k] = p.x[k];
    points[16u * i + 8u + k] = p.y[k];
  }
}

fn load_scalar(i: u32) -> Fe {
  var s: Fe;
  for (var k = 0u; k < 8u; k++) { s[k] = scalars[8u * i + k]; }
  return s;
}

// Bits [offset, offset + c) of s, c ≤ 16.
fn window_bits(s: Fe, offset: u32, c: u32) -> u32 {
  let word = offset >> 5u;
  let shift = offset & 31u;
  if (word >= 8u) { return 0u; }
  var v = s[word] >> shift;
  if (shift + c > 32u && word + 1u < 8u) { v |= s[word + 1u] << (32u - shift); }
  return v & ((1u << c) - 1u);
}

// A point's scalar, or zero when the point is infinity or the scalar is
// out of range (reported by count_digits), so neither lands in a bucket.
fn usable_scalar(i: u32) -> Fe {
  let s = load_scalar(i);
  if (!fr_is_canonical(s) || affine_is_inf(load_point(i))) { return FE_ZERO; }
  return s;
}

struct Digit { magnitude: u32, negative: bool }

// Window w's digit: its c bits plus the carry from below, as v or v − 2^c;
// the carry out goes back through `carry`.
fn signed_digit(s: Fe, w: u32, carry: ptr<function, u32>) -> Digit {
  let c = params.c;
  let v = window_bits(s, w * c, c) + *carry;
  let negative = v > (1u << (c - 1u));
  *carry = select(0u, 1u, negative);
  return Digit(select(v, (1u << c) - v, negative), negative);
}

@compute @workgroup_size(WG)
fn count_digits(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear_id(gid, nwg);
  if (i >= params.n) { return; }
  if (!fr_is_canonical(load_scalar(i))) { atomicMin(&status[0], params.base + i); }
  let s = usable_scalar(i);
  var carry = 0u;
  for (var w = 0u; w < params.windows; w++) {
    let d = signed_digit(s, w, &carry);
    if (d.magnitude != 0u) { atomicAdd(&cursor[w * params.buckets + d.magnitude - 1u], 1u); }
  }
}

// One workgroup per window: bucket counts → starts; the cursor is reset to
// the start so scatter can advance it (and leaves it at the bucket's end).
var<workgroup> chunk_sums: array<u32, 256>;

@compute @workgroup_size(256)
fn scan_buckets(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let w = wid.x;
  let per = (params.buckets + 255u) / 256u;
  let lo = min(lid.x * per, params.buckets);
  let hi = min(lo + per, params.buckets);
  let row = w * params.buckets;
  var sum = 0u;
  for (var b = lo; b < hi; b++) { sum += atomicLoad(&cursor[row + b]); }
  chunk_sums[lid.x] = sum;
  workgroupBarrier();
  // Hillis–Steele inclusive scan of the 256 chunk sums.
  for (var step = 1u; step < 256u; step <<= 1u) {
    var add = 0u;
    if (lid.x >= step) { add = chunk_sums[lid.x - step]; }
    workgroupBarrier();
    chunk_sums[lid.x] += add;
    workgroupBarrier();
  }
  var start = chunk_sums[lid.x] - sum;
  for (var b = lo; b < hi; b++) {
    let count = atomicLoad(&cursor[row + b]);
    starts[row + b] = start;
    atomicStore(&cursor[row + b], start);
    start += count;
  }
}

@compute @workgroup_size(WG)
fn scatter(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear_id(gid, nwg);
  if (i >= params.n) { return; }
  let s = usable_scalar(i);
  var carry = 0u;
  for (var w = 0u; w < params.windows; w++) {
    let d = signed_digit(s, w, &carry);
    if (d.magnitude != 0u) {
      let slot = atomicAdd(&cursor[w * params.buckets + d.magnitude - 1u], 1u);
      let bucket = d.magnitude - 1u;
      list[w * params.n + slot] = i | ((bucket & (params.bucket_run - 1u)) << ENTRY_RUN_SHIFT) | select(0u, ENTRY_NEGATIVE, d.negative);
    }
  }
}

// A bucket's sum to start from: what earlier chunks left, or infinity.
fn initial_sum(index: u32) -> Xyzz {
  if (params.accumulate != 0u) { return load_sum(index); }
  return xyzz_inf();
}

// One invocation per run of `bucket_run` neighbouring buckets of a window,
// their entries (contiguous) walked in one loop: every lane of a SIMD group
// then adds about as many points, where one bucket a lane leaves lanes idle
// while the fullest bucket of the group finishes. An entry names its bucket
// within the run, so the walk needs no inner loop over empty buckets:
// llvmpipe counts nested loops' iterations together against its limit, and
// with such an inner loop a run of 33,598 entries lost its last ones, where
// a single loop goes to the 65,535 a chunk can hold. Empty buckets keep what
// they hold: infinity from the first chunk's clear, or earlier chunks' sums.
@compute @workgroup_size(WG)
fn bucket_sum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = linear_id(gid, nwg);
  let runs = (params.buckets + params.bucket_run - 1u) / params.bucket_run;
  if (t >= params.windows * runs) { return; }
  let w = t / runs;
  let first = w * params.buckets + (t % runs) * params.bucket_run;
  let last = min(first + params.bucket_run, (w + 1u) * params.buckets) - 1u;
  let lo = starts[first];
  let hi = atomicLoad(&cursor[last]);  // scatter leaves each cursor at its bucket's end
  if (lo == hi) { return; }
  var b = first + ((list[w * params.n + lo] >> ENTRY_RUN_SHIFT) & ENTRY_RUN_MASK);
  var acc = initial_sum(b);
  for (var k = lo; k < hi; k++) {
    let entry = list[w * params.n + k];
    let bucket = first + ((entry >> ENTRY_RUN_SHIFT) & ENTRY_RUN_MASK);
    if (bucket != b) {
      store_sum(b, acc);
      b = bucket;
      acc = initial_sum(b);
    }
    var p = load_point(entry & ENTRY_POINT_MASK);
    if ((entry & ENTRY_NEGATIVE) != 0u) { p.y = fq_neg(p.y); }
    acc = xyzz_add_affine(acc, p);
  }
  store_sum(b, acc);
}

// Both reductions below run every addition through one xyzz_add call site
// in a loop: each inlined copy of the formulas is thousands of instructions,
// and a shader with several copies takes llvmpipe minutes to compile.

// Group g holds buckets [lo, lo + L) of its window, lo = g·L. The running
// sum from the top gives S_g = Σ B_b and T_g = Σ (b − lo + 1)·B_b; the
// window's Σ (b + 1)·B_b is then Σ_g T_g + L·Σ_g g·S_g (combine_windows).
@compute @workgroup_size(WG)
fn reduce_groups(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let index = linear_id(gid, nwg);
  if (index >= params.windows * params.groups) { return; }
  let w = index / params.groups;
  let top = w * params.buckets + (index % params.groups) * params.group_size + params.group_size - 1u;
  var running = xyzz_inf();
  var total = xyzz_inf();
  for (var step = 0u; step < 2u * params.group_size; step++) {
    let odd = (step & 1u) == 1u;
    var p = running;
    var q: Xyzz;
    if (odd) { p = total; q = running; } else { q = load_sum(top - step / 2u); }
    let r = xyzz_add(p, q);
    if (odd) { total = r; } else { running = r; }
  }
  store_sum(partials_at() + 2u * index, total);
  store_sum(partials_at() + 2u * index + 1u, running);
}

// Per window: Σ_g g·S_g by a running sum over the groups from the top,
// times L (a power of two: log2 L doublings), plus Σ_g T_g.
@compute @workgroup_size(WG)
fn combine_windows(@builtin(global_invocation_id) gid: vec3u) {
  let w = gid.x;
  if (w >= params.windows) { return; }
  let g_count = params.groups;
  let doublings = firstTrailingBit(params.group_size);
  let first = partials_at() + 2u * w * g_count;
  var running = xyzz_inf();
  var acc = xyzz_inf();
  let steps = 2u * (g_count - 1u) + doublings + g_count;
  for (var step = 0u; step < steps; step++) {
    var p: Xyzz;
    var q: Xyzz;
    var into_running = false;
    if (step < 2u * (g_count - 1u)) {
      let g = g_count - 1u - step / 2u;
      if ((step & 1u) == 0u) { p = running; q = load_sum(first + 2u * g + 1u); into_running = true; }
      else { p = acc; q = running; }
    } else if (step < 2u * (g_count - 1u) + doublings) {
      p = acc; q = acc;
    } else {
      p = acc; q = load_sum(first + 2u * (step - 2u * (g_count - 1u) - doublings));
    }
    let r = xyzz_add(p, q);
    if (into_running) { running = r; } else { acc = r; }
  }
  store_sum(partials_at() + 2u * params.windows * g_count + w, acc);
}
