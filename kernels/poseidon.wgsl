// circomlib's Poseidon over BN254 Fr, one invocation per hash, in the
// optimised form the CPU kernel uses (native/cpu/poseidon.cpp): full rounds
// add t constants, apply x^5 to every word and multiply by the MDS matrix M;
// the partial rounds between them add one constant to word 0, apply x^5 to
// it and multiply by a sparse matrix (first row and column plus the
// identity: 2t − 1 products instead of t²), then one dense (t−1)×(t−1)
// "tail" matrix, and the next full round takes the constants pushed forward.
//
// The host specialises the module per width — T (arity + 1), FULL (8),
// PARTIAL rounds and the offsets *_AT of each table in the constants buffer
// (Montgomery form): round constants, M, partial constants, sparse
// matrices, tail, constants after.

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

fn constant(index: u32) -> Fe {
  var a: Fe;
  for (var k = 0u; k < 8u; k++) { a[k] = constants[8u * index + k]; }
  return a;
}

fn pow5(a: Fe) -> Fe {
  let a2 = fr_sqr(a);
  return fr_mul(fr_sqr(a2), a);
}

// One full round: constants from `offset`, x^5 on every word, the dense mix.
fn full_round(state: ptr<function, array<Fe, T>>, offset: u32) {
  let w = params.width;
  for (var i = 0u; i < w; i++) { (*state)[i] = pow5(fr_add((*state)[i], constant(offset + i))); }
  var mixed: array<Fe, T>;
  for (var i = 0u; i < w; i++) {
    var acc = FE_ZERO;
    for (var j = 0u; j < w; j++) { acc = fr_add(acc, fr_mul(constant(M_AT + i * w + j), (*state)[j])); }
    mixed[i] = acc;
  }
  *state = mixed;
}

@compute @workgroup_size(WG)
fn hash(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let h = linear_id(gid, nwg);
  if (h >= params.count) { return; }
  let w = params.width;
  let u = w - 1u;
  var state: array<Fe, T>;
  for (var i = 1u; i < w; i++) {
    let at = h * u + i - 1u;
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
  // Full rounds around the partial ones; the first full round after them
  // takes the constants the partial rounds pushed forward (AFTER_AT).
  for (var k = 0u; k < FULL; k++) {
    if (k == FULL / 2u) {
      for (var r = 0u; r < PARTIAL; r++) {
        let x0 = pow5(fr_add(state[0], constant(PARTIAL_C_AT + r)));
        let e = SPARSE_AT + r * (2u * w - 1u);
        var acc = fr_mul(constant(e), x0);
        for (var j = 1u; j < w; j++) { acc = fr_add(acc, fr_mul(constant(e + j), state[j])); }
        for (var i = 1u; i < w; i++) { state[i] = fr_add(state[i], fr_mul(constant(e + u + i), x0)); }
        state[0] = acc;
      }
      var y: array<Fe, T>;
      for (var i = 0u; i < u; i++) {
        var acc = FE_ZERO;
        for (var j = 0u; j < u; j++) { acc = fr_add(acc, fr_mul(constant(TAIL_AT + i * u + j), state[j + 1u])); }
        y[i] = acc;
      }
      for (var i = 0u; i < u; i++) { state[i + 1u] = y[i]; }
    }
    var offset = k * w;
    if (k == FULL / 2u) { offset = AFTER_AT; } else if (k > FULL / 2u) { offset = (k + PARTIAL) * w; }
    full_round(&state, offset);
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
