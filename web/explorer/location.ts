/**
 * What the page's URL says: the selected label lives in the hash (`#lion/Simba`, one
 * percent-encoded segment at a time, so deep links survive any label characters) and
 * `?transport=` picks the transport. Pure functions, unit-tested in Node.
 */

export type TransportChoice = 'auto' | 'webtransport' | 'websocket';

export function labelToHash(label: string): string {
  return label === '' ? '' : `#${label.split('/').map(encodeURIComponent).join('/')}`;
}

/** The label in a hash, or '' for none; a malformed escape is taken literally. */
export function hashToLabel(hash: string): string {
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  return body
    .split('/')
    .filter((s) => s !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join('/');
}

/** `?transport=websocket` forces the fallback (networks without UDP, tests). */
export function transportFromSearch(search: string): TransportChoice {
  const wanted = new URLSearchParams(search).get('transport');
  return wanted === 'websocket' || wanted === 'webtransport' ? wanted : 'auto';
}
