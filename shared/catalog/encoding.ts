/**
 * Metadata values as index sort keys whose string order is the values' order: numbers (integer
 * and float) as the 16 hex digits of their IEEE-754 bits, sign flipped (negatives: all bits
 * flipped), strings as themselves (DynamoDB orders them by UTF-8 bytes, which is code-point
 * order), dates as their UTC ISO-8601 text (`2024-01-15T00:00:00.000Z`), which sorts as time.
 */
import type { MetaType, MetaValue } from '#shared/catalog/query.ts';

export function metaValueOrder(type: MetaType, value: MetaValue): string {
  if (type === 'integer' || type === 'float') return numberOrder(Number(value));
  return String(value);
}

export function numberOrder(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value === 0 ? 0 : value);
  let high = view.getUint32(0);
  let low = view.getUint32(4);
  if (high & 0x80000000) {
    high = ~high >>> 0;
    low = ~low >>> 0;
  } else {
    high = (high | 0x80000000) >>> 0;
  }
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}
