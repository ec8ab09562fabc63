// The GPL reference packages ship no type declarations.
declare module 'ffjavascript' {
  export class F1Field {
    constructor(p: bigint);
    fft(a: bigint[]): bigint[];
    ifft(a: bigint[]): bigint[];
    mul(a: bigint, b: bigint): bigint;
    add(a: bigint, b: bigint): bigint;
    sub(a: bigint, b: bigint): bigint;
    inv(a: bigint): bigint;
    exp(a: bigint, e: bigint | number): bigint;
    e(a: bigint | number | string): bigint;
  }
  export function buildBn128(singleThread?: boolean): Promise<any>;
}
declare module 'circomlibjs' {
  export function buildPoseidon(): Promise<any>;
}
declare module 'snarkjs';
