/**
 * HTTP/3 SETTINGS (RFC 9114 §7.2.4): identifier/value varint pairs sent once, first, on
 * the control stream. H3Settings is an open map so extensions (WebTransport, datagrams)
 * add their own identifiers; typed getters cover the ones this layer reads.
 */
import { decodeVarintBig, encodeVarint } from '../varint.js';
import { connectionError, H3_ERROR } from './errors.js';
import { isReservedIdentifier } from './frames.js';

export const SETTING = {
  QPACK_MAX_TABLE_CAPACITY: 0x1,
  MAX_FIELD_SECTION_SIZE: 0x6,
  QPACK_BLOCKED_STREAMS: 0x7,
  /** RFC 9220 extended CONNECT (`:protocol`). */
  ENABLE_CONNECT_PROTOCOL: 0x8,
  /** RFC 9297 HTTP datagrams. */
  H3_DATAGRAM: 0x33,
  /** WebTransport over HTTP/3, draft-02 as Chromium speaks it. */
  ENABLE_WEBTRANSPORT: 0x2b603742,
} as const;

/** HTTP/2 settings with no HTTP/3 meaning: receiving one is H3_SETTINGS_ERROR (§7.2.4.1). */
export const HTTP2_ONLY_SETTINGS: ReadonlySet<bigint> = new Set([0x2n, 0x3n, 0x4n, 0x5n]);

/** Settings whose only legal values are 0 and 1 (RFC 9220 §3, RFC 9297 §2.1.1). */
const BOOLEAN_SETTINGS: ReadonlySet<bigint> = new Set([
  BigInt(SETTING.ENABLE_CONNECT_PROTOCOL),
  BigInt(SETTING.H3_DATAGRAM),
]);

export type SettingInput = number | bigint;

export class H3Settings {
  private readonly values = new Map<bigint, bigint>();

  constructor(entries: Iterable<readonly [SettingInput, SettingInput]> = []) {
    for (const [id, value] of entries) this.set(id, value);
  }

  set(id: SettingInput, value: SettingInput): this {
    this.values.set(BigInt(id), BigInt(value));
    return this;
  }

  delete(id: SettingInput): boolean {
    return this.values.delete(BigInt(id));
  }

  has(id: SettingInput): boolean {
    return this.values.has(BigInt(id));
  }

  get(id: SettingInput): bigint | undefined {
    return this.values.get(BigInt(id));
  }

  /** The value as a number (approximate above 2^53, which only limits ever reach), or the fallback. */
  getNumber(id: SettingInput, fallback: number): number {
    const v = this.values.get(BigInt(id));
    return v === undefined ? fallback : Number(v);
  }

  entries(): IterableIterator<[bigint, bigint]> {
    return this.values.entries();
  }

  get size(): number {
    return this.values.size;
  }

  /** Absent means 0: the peer has no dynamic table for us (RFC 9204 §5). */
  get qpackMaxTableCapacity(): number {
    return this.getNumber(SETTING.QPACK_MAX_TABLE_CAPACITY, 0);
  }

  /** Absent means unlimited (RFC 9114 §7.2.4.1). */
  get maxFieldSectionSize(): number {
    return this.getNumber(SETTING.MAX_FIELD_SECTION_SIZE, Number.POSITIVE_INFINITY);
  }

  get qpackBlockedStreams(): number {
    return this.getNumber(SETTING.QPACK_BLOCKED_STREAMS, 0);
  }

  get enableConnectProtocol(): boolean {
    return this.get(SETTING.ENABLE_CONNECT_PROTOCOL) === 1n;
  }

  get h3Datagram(): boolean {
    return this.get(SETTING.H3_DATAGRAM) === 1n;
  }

  get enableWebTransport(): boolean {
    return (this.get(SETTING.ENABLE_WEBTRANSPORT) ?? 0n) !== 0n;
  }

  /** Identifiers other than reserved (GREASE) ones, in insertion order. */
  known(): [bigint, bigint][] {
    return [...this.values].filter(([id]) => !isReservedIdentifier(id));
  }
}

/** The SETTINGS frame payload. */
export function encodeSettingsPayload(settings: H3Settings): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [id, value] of settings.entries()) {
    if (HTTP2_ONLY_SETTINGS.has(id)) throw connectionError(H3_ERROR.H3_SETTINGS_ERROR, `setting 0x${id.toString(16)} is HTTP/2-only`);
    parts.push(encodeVarint(id), encodeVarint(value));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Parses a SETTINGS payload. Duplicates, HTTP/2-only identifiers and bad boolean values
 * are H3_SETTINGS_ERROR; a payload ending mid-pair is H3_FRAME_ERROR. Unknown
 * identifiers (including GREASE) are kept so extensions can read them.
 */
export function parseSettingsPayload(payload: Uint8Array): H3Settings {
  const settings = new H3Settings();
  let offset = 0;
  while (offset < payload.length) {
    const id = decodeVarintBig(payload, offset);
    const value = id === undefined ? undefined : decodeVarintBig(payload, offset + id.length);
    if (id === undefined || value === undefined) {
      throw connectionError(H3_ERROR.H3_FRAME_ERROR, 'SETTINGS payload ends inside a setting');
    }
    offset += id.length + value.length;
    const hex = `0x${id.value.toString(16)}`;
    if (settings.has(id.value)) throw connectionError(H3_ERROR.H3_SETTINGS_ERROR, `duplicate setting ${hex}`);
    if (HTTP2_ONLY_SETTINGS.has(id.value)) throw connectionError(H3_ERROR.H3_SETTINGS_ERROR, `HTTP/2 setting ${hex}`);
    if (BOOLEAN_SETTINGS.has(id.value) && value.value > 1n) {
      throw connectionError(H3_ERROR.H3_SETTINGS_ERROR, `setting ${hex} must be 0 or 1, got ${value.value}`);
    }
    settings.set(id.value, value.value);
  }
  return settings;
}
