/**
 * A matrix as numpy's .npy file (format version 1.0), so a command stage's Python reads it with
 * `numpy.load(path)`: float32 little-endian, C (row-major) order, shape (rows, cols).
 * The format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { endianness } from "node:os";
import type { Matrix } from "../core/artifact.ts";

/** "\x93NUMPY", then the format version 1.0. */
const MAGIC_AND_VERSION = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0];
/** The magic, the version and the header's length (uint16): what comes before the header text. */
const PREAMBLE = MAGIC_AND_VERSION.length + 2;
/** numpy pads its header so the data starts at a multiple of 64 bytes; we do the same. */
const ALIGN = 64;

/** The .npy bytes of `m`; same matrix, same bytes. */
export function npyFloat32(m: Matrix): Uint8Array {
  if (m.data.length !== m.rows * m.cols) throw new RangeError(`matrix has ${m.data.length} values, expected ${m.rows} x ${m.cols}`);
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${m.rows}, ${m.cols}), }`;
  // spaces, then a newline, up to the alignment (the newline ends the header, as numpy requires)
  const pad = (ALIGN - ((PREAMBLE + dict.length + 1) % ALIGN)) % ALIGN;
  const header = `${dict}${" ".repeat(pad)}\n`;
  const start = PREAMBLE + header.length;
  const out = new Uint8Array(start + m.data.byteLength);
  out.set(MAGIC_AND_VERSION, 0);
  new DataView(out.buffer).setUint16(MAGIC_AND_VERSION.length, header.length, true);
  out.set(new TextEncoder().encode(header), PREAMBLE);
  if (endianness() === "LE") {
    out.set(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength), start);
  } else {
    const data = new DataView(out.buffer, start);
    for (let i = 0; i < m.data.length; i++) data.setFloat32(i * 4, m.data[i]!, true);
  }
  return out;
}
