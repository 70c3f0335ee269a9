// Addressing of the row-major f32 matrices the kernels share (activities and
// their gradients are R x O: row r = one batch row, column j = one unit).
// Inline only: no code of its own in the module.

/** Address of element (r, c) of a row-major f32 matrix with `cols` columns. */
// @ts-ignore: decorator
@inline export function cell(m: usize, r: i32, c: i32, cols: i32): usize {
  return m + (<usize>r * <usize>cols + <usize>c) * sizeof<f32>();
}

/** Stores unit j's output z for row r of the R x O activities y: relu(z), or z. */
// @ts-ignore: decorator
@inline export function storeUnit(y: usize, r: i32, j: i32, O: i32, z: f32, relu: bool): void {
  store<f32>(cell(y, r, j, O), relu ? max<f32>(z, 0) : z);
}
