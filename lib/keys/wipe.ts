/** Overwrite secret bytes with zeros. Invariant: every function that creates secret bytes wipes them or hands them to a caller that does. */
export function wipe(...buffers: Array<Uint8Array | undefined | null>): void {
  for (const buffer of buffers) buffer?.fill(0);
}
