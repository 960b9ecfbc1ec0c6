/**
 * HTTP/3 message validation (RFC 9114 §4.1.2, §4.2, §4.3): lowercase token names,
 * pseudo-headers first, only the allowed ones, each once, the required ones present,
 * no connection-specific fields, no CR/LF/NUL in values. A violation makes the message
 * malformed: H3_MESSAGE_ERROR on that stream only.
 */
import { H3_ERROR, streamError, type H3Error } from './errors.js';
import type { HeaderList } from './headers.js';

export interface RequestHead {
  readonly method: string;
  readonly scheme: string | undefined;
  readonly authority: string | undefined;
  readonly path: string | undefined;
  /** Extended CONNECT protocol (RFC 9220), e.g. 'webtransport'. */
  readonly protocol: string | undefined;
  readonly contentLength: number | undefined;
}

export interface ResponseHead {
  readonly status: number;
  readonly contentLength: number | undefined;
}

const REQUEST_PSEUDO = new Set([':method', ':scheme', ':authority', ':path', ':protocol']);
const RESPONSE_PSEUDO = new Set([':status']);
/** Fields that only mean something to HTTP/1.1 connections (RFC 9114 §4.2). */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
/** RFC 9110 tchar, lowercase only. */
const TOKEN_NAME = /^[a-z0-9!#$%&'*+\-.^_`|~]+$/;
const BAD_VALUE = /[\0\r\n]/;
/** Schemes whose URIs have a mandatory authority (RFC 9114 §4.3.1). */
const AUTHORITY_SCHEMES = new Set(['http', 'https']);

function malformed(message: string): H3Error {
  return streamError(H3_ERROR.H3_MESSAGE_ERROR, message);
}

/** Splits pseudo-headers from regular fields, checking order, names, values and duplicates. */
function splitFields(fields: HeaderList, allowedPseudo: ReadonlySet<string>): Map<string, string> {
  const pseudo = new Map<string, string>();
  let regularSeen = false;
  for (const [name, value] of fields) {
    if (BAD_VALUE.test(value)) throw malformed(`field ${name} has CR, LF or NUL in its value`);
    if (name.startsWith(':')) {
      if (regularSeen) throw malformed(`pseudo-header ${name} after a regular field`);
      if (!allowedPseudo.has(name)) throw malformed(`pseudo-header ${name} is not allowed here`);
      if (pseudo.has(name)) throw malformed(`pseudo-header ${name} repeated`);
      pseudo.set(name, value);
      continue;
    }
    regularSeen = true;
    if (!TOKEN_NAME.test(name)) throw malformed(`field name ${JSON.stringify(name)} is not a lowercase token`);
    if (CONNECTION_SPECIFIC.has(name)) throw malformed(`connection-specific field ${name}`);
    if (name === 'te' && value.trim().toLowerCase() !== 'trailers') throw malformed('te other than "trailers"');
  }
  return pseudo;
}

/** content-length as a number; repeated values must agree (RFC 9110 §8.6). */
function contentLength(fields: HeaderList): number | undefined {
  let result: number | undefined;
  for (const [name, value] of fields) {
    if (name !== 'content-length') continue;
    for (const part of value.split(',')) {
      const text = part.trim();
      if (!/^\d{1,15}$/.test(text)) throw malformed(`bad content-length ${JSON.stringify(value)}`);
      const n = Number(text);
      if (result !== undefined && result !== n) throw malformed('conflicting content-length values');
      result = n;
    }
  }
  return result;
}

export interface RequestRules {
  /** Whether we advertised SETTINGS_ENABLE_CONNECT_PROTOCOL=1, allowing `:protocol` (RFC 9220). */
  readonly extendedConnect: boolean;
}

export function validateRequest(fields: HeaderList, rules: RequestRules): RequestHead {
  const pseudo = splitFields(fields, REQUEST_PSEUDO);
  const method = pseudo.get(':method');
  const scheme = pseudo.get(':scheme');
  const authority = pseudo.get(':authority');
  const path = pseudo.get(':path');
  const protocol = pseudo.get(':protocol');
  if (method === undefined || !TOKEN_NAME.test(method.toLowerCase())) throw malformed('missing or bad :method');
  const length = contentLength(fields);
  if (protocol !== undefined) {
    if (!rules.extendedConnect) throw malformed(':protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL');
    if (method !== 'CONNECT') throw malformed(':protocol with a method other than CONNECT');
    if (!scheme || !path || !authority) throw malformed('extended CONNECT needs :scheme, :path and :authority');
    return { method, scheme, authority, path, protocol, contentLength: length };
  }
  if (method === 'CONNECT') {
    // Classic CONNECT (RFC 9114 §4.4): only :method and :authority.
    if (scheme !== undefined || path !== undefined) throw malformed('CONNECT with :scheme or :path');
    if (!authority) throw malformed('CONNECT without :authority');
    return { method, scheme, authority, path, protocol, contentLength: length };
  }
  if (!scheme) throw malformed('missing :scheme');
  if (!path) throw malformed('missing or empty :path');
  if (path !== '*' && !path.startsWith('/') && AUTHORITY_SCHEMES.has(scheme)) throw malformed(`bad :path ${JSON.stringify(path)}`);
  if (path === '*' && method !== 'OPTIONS') throw malformed(':path * is only for OPTIONS');
  const host = fields.find(([n]) => n === 'host')?.[1];
  if (authority === '' || host === '') throw malformed('empty :authority or host');
  if (AUTHORITY_SCHEMES.has(scheme) && authority === undefined && host === undefined) {
    throw malformed(`${scheme} request without :authority or host`);
  }
  if (authority !== undefined && host !== undefined && authority !== host) throw malformed(':authority and host differ');
  return { method, scheme, authority, path, protocol, contentLength: length };
}

export function validateResponse(fields: HeaderList): ResponseHead {
  const pseudo = splitFields(fields, RESPONSE_PSEUDO);
  const status = pseudo.get(':status');
  if (status === undefined) throw malformed('missing :status');
  if (!/^[1-5]\d\d$/.test(status)) throw malformed(`bad :status ${JSON.stringify(status)}`);
  if (status === '101') throw malformed(':status 101 is not allowed in HTTP/3');
  return { status: Number(status), contentLength: contentLength(fields) };
}

/** Trailers carry no pseudo-headers (RFC 9114 §4.1). */
export function validateTrailers(fields: HeaderList): void {
  splitFields(fields, new Set());
}
