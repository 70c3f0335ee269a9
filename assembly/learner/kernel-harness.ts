// build/kernels.simd.wasm and build/kernels.relaxed.wasm: the f32x4 kernels of
// dense-simd.ts exported raw, so host tests hold the relaxed build to the plain
// reference within a stated tolerance (test/learner-relaxed.test.ts) and the
// speed bench times each kernel alone. Not part of any shipped module.

export { adamSimd, denseForwardSimd, scaledRowPairSimd } from "./dense-simd";
export { scratch } from "./harness";
