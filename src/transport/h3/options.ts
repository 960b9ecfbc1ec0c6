/** H3Connection options, their defaults, and the SETTINGS we send. */
import { H3_ERROR, H3Error } from './errors.js';
import { DEFAULT_FRAME_LIMITS, type FrameLimits } from './frame-reader.js';
import { randomReservedIdentifier } from './frames.js';
import type { H3Request } from './request.js';
import { H3Settings, SETTING, type SettingInput } from './settings.js';

export type H3Role = 'client' | 'server';

export type RequestHandler = (request: H3Request) => void | Promise<void>;

export interface H3ConnectionOptions {
  readonly role: H3Role;
  /** Largest field section (name + value + 32 per field) we accept; advertised. Default 64 KiB. */
  readonly maxFieldSectionSize?: number;
  /** Server: advertise SETTINGS_ENABLE_CONNECT_PROTOCOL=1 and accept `:protocol` (RFC 9220). */
  readonly enableConnectProtocol?: boolean;
  /** More settings (e.g. H3_DATAGRAM, ENABLE_WEBTRANSPORT); they override the defaults. */
  readonly settings?: Iterable<readonly [SettingInput, SettingInput]>;
  readonly frameLimits?: Partial<FrameLimits>;
  /** Huffman-code literals when shorter (default true). */
  readonly huffman?: boolean;
  /**
   * Send a reserved (GREASE) setting and frame so peers that choke on unknown values are
   * found early, as RFC 9114 §7.2.4.1 and §7.2.8 suggest (default true).
   */
  readonly grease?: boolean;
  /**
   * RFC 9114 and RFC 9204 make frame errors and QPACK failures on a request stream
   * connection errors; that is the default. True downgrades them to resetting only that
   * request stream (same code), which keeps a buggy client's other requests alive.
   */
  readonly isolateRequestErrors?: boolean;
  readonly onRequest?: RequestHandler;
}

export interface ResolvedH3Options {
  readonly role: H3Role;
  readonly maxFieldSectionSize: number;
  readonly frameLimits: FrameLimits;
  readonly huffman: boolean;
  readonly grease: boolean;
  readonly isolateRequestErrors: boolean;
}

export function resolveOptions(options: H3ConnectionOptions): ResolvedH3Options {
  const maxFieldSectionSize = options.maxFieldSectionSize ?? 64 * 1024;
  return {
    role: options.role,
    maxFieldSectionSize,
    // An encoded section is never larger than its decoded size, so this bound is safe.
    frameLimits: { ...DEFAULT_FRAME_LIMITS, maxHeadersPayload: maxFieldSectionSize, ...options.frameLimits },
    huffman: options.huffman ?? true,
    grease: options.grease ?? true,
    isolateRequestErrors: options.isolateRequestErrors ?? false,
  };
}

export function initialSettings(options: H3ConnectionOptions, resolved: ResolvedH3Options): H3Settings {
  const settings = new H3Settings([
    [SETTING.QPACK_MAX_TABLE_CAPACITY, 0],
    [SETTING.MAX_FIELD_SECTION_SIZE, resolved.maxFieldSectionSize],
    [SETTING.QPACK_BLOCKED_STREAMS, 0],
  ]);
  if (options.enableConnectProtocol) settings.set(SETTING.ENABLE_CONNECT_PROTOCOL, 1);
  for (const [id, value] of options.settings ?? []) settings.set(id, value);
  if (resolved.grease) settings.set(randomReservedIdentifier(), Math.floor(Math.random() * 0x3fff));
  return settings;
}

/** We have no dynamic table; advertising one would let peers send what we cannot decode. */
export function checkLocalSettings(settings: H3Settings): void {
  if (settings.qpackMaxTableCapacity !== 0) {
    throw new H3Error(H3_ERROR.H3_SETTINGS_ERROR, 'connection', 'QPACK_MAX_TABLE_CAPACITY must stay 0: there is no dynamic table');
  }
}
