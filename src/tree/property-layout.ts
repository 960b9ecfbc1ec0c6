import { WwatpError } from './errors.js';
import { ByteReader } from './codecs/bytes.js';
import { propertyType } from './property-types.js';
import { allocBytes } from './byte-pool.js';

/**
 * A node's contents are its property values back to back, in propertyInfos order:
 * fixed-size types (int64, uint64, double, float, bool) as little-endian bytes, every
 * other type as a u32 little-endian length and then the bytes.
 */
export interface PropertyInfo {
  readonly type: string;
  readonly name: string;
}

/** Where one property's slot (prefix included) and payload lie within the contents. */
export interface Slot {
  readonly start: number;
  readonly payloadStart: number;
  readonly end: number;
}

/**
 * Checks that the contents hold exactly the declared properties, allocating nothing:
 * every node read from the wire or a database passes here. On a mismatch it throws
 * layoutSlots' error.
 */
export function checkLayout(infos: readonly PropertyInfo[], data: Uint8Array): void {
  let pos = 0;
  const end = data.length;
  for (const info of infos) {
    const size = propertyType(info.type).fixedSize;
    if (size !== undefined) pos += size;
    else if (pos + 4 <= end) pos += 4 + ((data[pos] as number) | ((data[pos + 1] as number) << 8) | ((data[pos + 2] as number) << 16)) + (data[pos + 3] as number) * 0x1000000;
    else pos = end + 1;
    if (pos > end) break;
  }
  if (pos !== end) layoutSlots(infos, data);
}

/** Walks the contents, checking that they hold exactly the declared properties. */
export function layoutSlots(infos: readonly PropertyInfo[], data: Uint8Array): Slot[] {
  const reader = new ByteReader(data);
  const slots: Slot[] = [];
  for (const info of infos) {
    const type = propertyType(info.type);
    const start = reader.position;
    if (type.fixedSize !== undefined) {
      reader.raw(type.fixedSize, `property "${info.name}"`);
      slots.push({ start, payloadStart: start, end: reader.position });
    } else {
      reader.lv(`property "${info.name}"`);
      slots.push({ start, payloadStart: start + 4, end: reader.position });
    }
  }
  if (reader.remaining !== 0) {
    throw new WwatpError('MALFORMED', `contents hold ${reader.remaining} bytes beyond the ${infos.length} declared properties`);
  }
  return slots;
}

/** The bytes of one slot: the payload, length-prefixed unless the type is fixed-size. */
export function encodeSlot(typeName: string, value: unknown, property: string): Uint8Array {
  const type = propertyType(typeName);
  const payload = type.encode(value, property);
  if (type.fixedSize !== undefined) return payload;
  const slot = new Uint8Array(4 + payload.length);
  new DataView(slot.buffer).setUint32(0, payload.length, true);
  slot.set(payload, 4);
  return slot;
}

/** Replaces bytes [start, end) of `data` with `insert`, returning new contents. */
export function splice(data: Uint8Array, start: number, end: number, insert: Uint8Array): Uint8Array {
  const out = allocBytes(data.length - (end - start) + insert.length);
  out.set(data.subarray(0, start), 0);
  out.set(insert, start);
  out.set(data.subarray(end), start + insert.length);
  return out;
}
