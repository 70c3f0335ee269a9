// Host-side data augmentation for square images: a small random affine
// (shift, rotation, scale) of each training digit, resampled bilinearly.
// Simard et al. 2003 ("Best practices for CNNs applied to visual document
// analysis") found small affine distortions the cheapest large gain on MNIST;
// the learner never sees the test digits jittered.
//
// Non-goals: elastic distortions, colour/contrast changes.

/** How far one jittered image may move from the original. */
export interface JitterOptions {
  /** Largest shift in pixels along each axis (uniform in +-maxShift). */
  maxShift: number;
  /** Largest rotation in degrees (uniform in +-maxRotateDegrees). */
  maxRotateDegrees: number;
  /** Largest relative scale change (uniform in 1 +- maxScale). */
  maxScale: number;
}

export const MNIST_JITTER: JitterOptions = { maxShift: 2, maxRotateDegrees: 10, maxScale: 0.1 };

/**
 * Writes into `dst` the side x side image `src` moved by one random affine drawn
 * with `random` (uniform in [0, 1)). Pixels mapped from outside the image are 0.
 * All three options 0 copies the image exactly.
 */
export function jitterImage(src: Float32Array, dst: Float32Array, side: number, options: JitterOptions, random: () => number): void {
  if (src.length < side * side || dst.length < side * side) throw new TypeError(`jitterImage: src and dst need side*side = ${side * side} values`);
  const angle = ((2 * random() - 1) * options.maxRotateDegrees * Math.PI) / 180;
  const scale = 1 + (2 * random() - 1) * options.maxScale;
  const dx = (2 * random() - 1) * options.maxShift,
    dy = (2 * random() - 1) * options.maxShift;
  // Inverse map: destination pixel -> source position, about the centre.
  const c = (side - 1) / 2;
  const cos = Math.cos(angle) / scale,
    sin = Math.sin(angle) / scale;
  for (let y = 0; y < side; y++) {
    const ry = y - c - dy;
    for (let x = 0; x < side; x++) {
      const rx = x - c - dx;
      const sx = cos * rx + sin * ry + c,
        sy = -sin * rx + cos * ry + c;
      const x0 = Math.floor(sx),
        y0 = Math.floor(sy);
      const fx = sx - x0,
        fy = sy - y0;
      const at = (xx: number, yy: number): number => (xx >= 0 && xx < side && yy >= 0 && yy < side ? src[yy * side + xx] : 0);
      dst[y * side + x] = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
    }
  }
}
