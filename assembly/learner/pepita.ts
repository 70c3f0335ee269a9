// PEPITA (Dellaferrera & Kreiman 2022; papers/002: Srinivasan et al., "Forward
// learning with top-down feedback"). Two forward passes, no backward pass:
//
//   pass 1   h_l = relu(W_l h_{l-1}), h_0 = x;  e = softmax(h_L) - onehot
//   pass 2   the input modulated by the error through a fixed random F:
//            x_mod = x + F e  (F: in_0 x C, stored as C rows of in_0)
//   update   dW_l = -eta (h_l - h_l_mod) (h_{l-1}_mod)^T    for hidden layers
//            dW_L = -eta e (h_{L-1}_mod)^T                   for the output layer
//
// as gradients (h_l - h_l_mod) (x) h_{l-1}_mod through the optimizer.
// F = RULE_A * U(-sqrt(6/in_0), sqrt(6/in_0)) (the paper's 0.05 scale).
//
// PEPITA_MIRROR learns F by weight mirroring (Akrout et al. 2019, adapted to
// top-down feedback as papers/002 does): after the update, noise xi of
// standard deviation sigma (RULE_C) enters the input and the output moves by
// o = out(x + xi) - out(x) ~ J xi, so E[xi o^T] = sigma^2 J^T. PEPITA
// approximates backprop when -W_1 F lines up with the backward path, i.e.
// F ~ -J^T, hence
//   F <- F - eta_F xi o^T / sigma^2          (eta_F = RULE_B)
// and F is then rescaled to its initial Frobenius norm, so the modulation
// keeps the size PEPITA is tuned for (in place of Akrout's weight decay).
//
// Non-goals: PEPITA's learning-rate schedule and input dropout (use the
// config's decay and the optimizer), the feedback of a convolutional net.

import { Algorithm } from "./config";
import { layerIn, layerOut, layerX, layerY, feedback, inputs, gradRow } from "./arena";
import { algorithm, layerCount, classes, ruleB, ruleC, feedbackNorm } from "./state";
import { weightGradientRow } from "./dense";
import { mlpForward, softmaxError, outputFamilySparsity } from "./output-family";
import { beginUpdate, finishStep, updateLayer, unitNoise } from "./step";
import { addScaled, scaleVector, dot } from "./vector";

export function pepitaStep(n: i32): void {
  const I0 = layerIn(0), C = classes, last = layerCount - 1;
  const rowBytes = <usize>I0 * sizeof<f32>();
  const x0 = layerX(0);
  memory.copy(x0, inputs, <usize>n * rowBytes);
  mlpForward(0, n);
  outputFamilySparsity(n);
  const loss = softmaxError(n); // output rows 0..n-1 now hold e
  const e = layerY(last);
  for (let b = 0; b < n; b++) { // rows n..2n-1 of X_0: x + F e
    const mod = x0 + <usize>(n + b) * rowBytes;
    memory.copy(mod, x0 + <usize>b * rowBytes, rowBytes);
    for (let c = 0; c < C; c++) {
      const k = load<f32>(e + (<usize>b * <usize>C + <usize>c) * sizeof<f32>());
      addScaled(mod, feedback + <usize>c * rowBytes, k, I0);
    }
  }
  mlpForward(n, n);
  const eta = beginUpdate();
  for (let l = 0; l <= last; l++) {
    const I = layerIn(l), O = layerOut(l), Y = layerY(l);
    const below = (l == 0 ? x0 : layerY(l - 1)) + <usize>n * <usize>I * sizeof<f32>(); // h_{l-1}_mod
    // rows 0..n-1: h_l - h_l_mod (rows n.. stay: the next layer's input)
    if (l < last) addScaled(Y, Y + <usize>n * <usize>O * sizeof<f32>(), -1, n * O);
    updateLayer(l, Y, below, n, 1 / <f32>n, eta);
  }
  if (algorithm == Algorithm.PEPITA_MIRROR) mirror(n);
  finishStep(loss);
}

/** One weight-mirroring step of F on the batch's inputs (see the top of the file). */
function mirror(n: i32): void {
  const I0 = layerIn(0), C = classes, out = layerY(layerCount - 1);
  const rowBytes = <usize>I0 * sizeof<f32>();
  const x0 = layerX(0);
  const sigma = ruleC;
  memory.copy(x0 + <usize>n * rowBytes, inputs, <usize>n * rowBytes); // rows n..2n-1: x
  for (let k = 0; k < n * I0; k++) { // rows 0..n-1: x + xi
    const at = <usize>k * sizeof<f32>();
    store<f32>(x0 + at, load<f32>(inputs + at) + sigma * unitNoise());
  }
  mlpForward(0, 2 * n);
  addScaled(x0, x0 + <usize>n * rowBytes, -1, n * I0); // xi
  addScaled(out, out + <usize>n * <usize>C * sizeof<f32>(), -1, n * C); // o
  for (let c = 0; c < C; c++) {
    weightGradientRow(out, x0, gradRow, c, n, I0, C, 1 / (<f32>n * sigma * sigma));
    addScaled(feedback + <usize>c * rowBytes, gradRow, -ruleB, I0);
  }
  const squares = dot(feedback, feedback, C * I0);
  scaleVector(feedback, squares > 0 ? feedbackNorm / sqrt<f32>(squares) : 1, C * I0);
}
