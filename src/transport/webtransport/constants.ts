/**
 * Wire constants of WebTransport over HTTP/3 as Chromium speaks it (draft-ietf-webtrans-http3-02,
 * with RFC 9297 HTTP datagrams and capsules). Later drafts renamed some of these (WT_*) and
 * moved the version setting; the numbers below are the ones on the wire today.
 */

/** SETTINGS_ENABLE_WEBTRANSPORT (draft-02); later drafts use WT_MAX_SESSIONS (0xc671706a) instead. */
export const SETTING_ENABLE_WEBTRANSPORT = 0x2b603742;
/** SETTINGS_H3_DATAGRAM (RFC 9297 §5.1). */
export const SETTING_H3_DATAGRAM = 0x33;

/** First varint of a bidirectional WebTransport stream, in place of an HTTP/3 frame type. */
export const WT_BIDI_SIGNAL = 0x41;
/** HTTP/3 unidirectional stream type of a WebTransport stream. */
export const WT_UNI_STREAM_TYPE = 0x54;

export const CAPSULE = {
  /** RFC 9297 §3.5: a datagram carried reliably on the CONNECT stream. */
  DATAGRAM: 0x00,
  /** Application error code (32 bits) and a UTF-8 message of at most 1024 bytes. */
  CLOSE_WEBTRANSPORT_SESSION: 0x2843,
  /** Asks the peer to wind the session down (later drafts; empty). */
  DRAIN_WEBTRANSPORT_SESSION: 0x78ae,
} as const;

/** HTTP/3 error codes WebTransport registers. */
export const WT_ERROR = {
  /** A stream for a session that does not (yet) exist was not kept. */
  BUFFERED_STREAM_REJECTED: 0x3994bd84,
  /** A stream aborted because its session ended. */
  SESSION_GONE: 0x170d7b68,
} as const;

export const MAX_CLOSE_MESSAGE_BYTES = 1024;

/** Request header Chromium sends to offer draft-02, and the response header it then requires. */
export const DRAFT02_OFFER_HEADER = 'sec-webtransport-http3-draft02';
export const DRAFT_HEADER = 'sec-webtransport-http3-draft';
export const DRAFT02 = 'draft02';
