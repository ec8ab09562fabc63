pragma circom 2.0.0;

// One segment of a Poseidon hash chain: h_0 = start, h_{i+1} = Poseidon(h_i, offset + i),
// end = h_STEPS. Public: end (output), start and offset (inputs), so consecutive
// segments bind to each other: segment k's start is segment k-1's end.
include "poseidon.circom";

template ChainSegment(STEPS) {
  signal input start;
  signal input offset;
  signal output end;
  component hash[STEPS];
  signal h[STEPS + 1];
  h[0] <== start;
  for (var i = 0; i < STEPS; i++) {
    hash[i] = Poseidon2();
    hash[i].inputs[0] <== h[i];
    hash[i].inputs[1] <== offset + i;
    h[i + 1] <== hash[i].out;
  }
  end <== h[STEPS];
}

component main {public [start, offset]} = ChainSegment(4);
