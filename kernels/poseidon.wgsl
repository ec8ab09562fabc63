// circomlib's Poseidon over BN254 Fr, one invocation per hash. The host
// specialises the module per width: T (arity + 1), FULL (8) and PARTIAL
// rounds, and passes the round constants and MDS matrix (Montgomery form)
// in a storage buffer: T·(FULL + PARTIAL) constants, then M row by row.
//
// Each round: add constants, S-box x^5 (every word in full rounds, word 0
// in partial ones), multiply by M: state'[i] = Σ_j M[i][j]·state[j].

struct Params {
  count: u32,        // hashes in this run
  base: u32,         // index of its first input word, for error reports
  mode: u32,         // 0: canonical in and out; 1: Montgomery in and out (Merkle levels)
  // T again, at run time: loops bounded by the constant get unrolled whole
  // by some shader compilers (llvmpipe takes minutes over T = 16).
  width: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> constants: array<u32>;
@group(0) @binding(2) var<storage, read> inputs: array<u32>;     // count × (T − 1) × 8 words
@group(0) @binding(3) var<storage, read_write> outputs: array<u32>;  // count × 8 words
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>, 4>;

const WG = 64u;

fn linear_id(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

fn constant(index: u32) -> Fe {
  var a: Fe;
  for (var k = 0u; k < 8u; k++) { a[k] = constants[8u * index + k]; }
  return a;
}

fn pow5(a: Fe) -> Fe {
  let a2 = fr_sqr(a);
  return fr_mul(fr_sqr(a2), a);
}

@compute @workgroup_size(WG)
fn hash(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let h = linear_id(gid, nwg);
  if (h >= params.count) { return; }
  var state: array<Fe, T>;
  for (var i = 1u; i < params.width; i++) {
    let at = h * (params.width - 1u) + i - 1u;
    var a: Fe;
    for (var k = 0u; k < 8u; k++) { a[k] = inputs[8u * at + k]; }
    if (params.mode == 0u) {
      if (!fr_is_canonical(a)) {
        atomicMin(&status[0], params.base + at);
        a = FE_ZERO;
      }
      a = fr_to_mont(a);
    }
    state[i] = a;
  }
  let rounds = FULL + PARTIAL;
  let matrix = params.width * rounds;
  for (var r = 0u; r < rounds; r++) {
    for (var i = 0u; i < params.width; i++) { state[i] = fr_add(state[i], constant(r * params.width + i)); }
    if (r < FULL / 2u || r >= FULL / 2u + PARTIAL) {
      for (var i = 0u; i < params.width; i++) { state[i] = pow5(state[i]); }
    } else {
      state[0] = pow5(state[0]);
    }
    var mixed: array<Fe, T>;
    for (var i = 0u; i < params.width; i++) {
      var acc = FE_ZERO;
      for (var j = 0u; j < params.width; j++) { acc = fr_add(acc, fr_mul(constant(matrix + i * params.width + j), state[j])); }
      mixed[i] = acc;
    }
    state = mixed;
  }
  var out = state[0];
  if (params.mode == 0u) { out = fr_from_mont(out); }
  for (var k = 0u; k < 8u; k++) { outputs[8u * h + k] = out[k]; }
}

// Merkle leaves: canonical → Montgomery in place, range checked.
@compute @workgroup_size(WG)
fn enter(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = linear_id(gid, nwg);
  if (i >= params.count) { return; }
  var a: Fe;
  for (var k = 0u; k < 8u; k++) { a[k] = outputs[8u * i + k]; }
  if (!fr_is_canonical(a)) {
    atomicMin(&status[0], params.base + i);
    a = FE_ZERO;
  }
  a = fr_to_mont(a);
  for (var k = 0u; k < 8u; k++) { outputs[8u * i + k] = a[k]; }
}
