/** Adler-32 of a file, streamed, in DIRAC's catalogue form (`adler32:` and 8 hex digits). */
import { createReadStream } from 'node:fs';

const modulus = 65521;
/** Bytes that can be summed before the sums may overflow 2^53 (zlib's NMAX is far below). */
const block = 5552;

export async function adler32File(path: string): Promise<string> {
  let a = 1;
  let b = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let start = 0; start < chunk.length; start += block) {
      const end = Math.min(start + block, chunk.length);
      for (let i = start; i < end; i++) {
        a += chunk[i] as number;
        b += a;
      }
      a %= modulus;
      b %= modulus;
    }
  }
  return `adler32:${(b * 65536 + a).toString(16).padStart(8, '0')}`;
}
