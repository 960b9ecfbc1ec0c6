import t from 'tap';
import { STATIC_TABLE } from '../../../src/transport/h3/qpack/static-table.js';
import { staticEntry, staticIndexOf, staticNameIndexOf } from '../../../src/transport/h3/qpack/static-lookup.js';

t.test('RFC 9204 Appendix A: 99 entries', async (t) => {
  t.equal(STATIC_TABLE.length, 99);
  // Landmarks typed from the RFC, including every entry whose value is not obvious.
  const landmarks: [number, string, string][] = [
    [0, ':authority', ''], [1, ':path', '/'], [2, 'age', '0'], [4, 'content-length', '0'], [14, 'set-cookie', ''],
    [15, ':method', 'CONNECT'], [17, ':method', 'GET'], [21, ':method', 'PUT'], [22, ':scheme', 'http'],
    [23, ':scheme', 'https'], [24, ':status', '103'], [25, ':status', '200'], [28, ':status', '503'],
    [29, 'accept', '*/*'], [31, 'accept-encoding', 'gzip, deflate, br'], [35, 'access-control-allow-origin', '*'],
    [37, 'cache-control', 'max-age=2592000'], [41, 'cache-control', 'public, max-age=31536000'],
    [47, 'content-type', 'application/x-www-form-urlencoded'], [52, 'content-type', 'text/html; charset=utf-8'],
    [54, 'content-type', 'text/plain;charset=utf-8'], [55, 'range', 'bytes=0-'],
    [58, 'strict-transport-security', 'max-age=31536000; includesubdomains; preload'],
    [62, 'x-xss-protection', '1; mode=block'], [63, ':status', '100'], [71, ':status', '500'],
    [72, 'accept-language', ''], [73, 'access-control-allow-credentials', 'FALSE'],
    [74, 'access-control-allow-credentials', 'TRUE'], [77, 'access-control-allow-methods', 'get, post, options'],
    [83, 'alt-svc', 'clear'], [85, 'content-security-policy', "script-src 'none'; object-src 'none'; base-uri 'none'"],
    [86, 'early-data', '1'], [91, 'purpose', 'prefetch'], [94, 'upgrade-insecure-requests', '1'],
    [95, 'user-agent', ''], [97, 'x-frame-options', 'deny'], [98, 'x-frame-options', 'sameorigin'],
  ];
  for (const [index, name, value] of landmarks) t.same(STATIC_TABLE[index], [name, value], `entry ${index}`);
  const statuses = STATIC_TABLE.filter(([n]) => n === ':status').map(([, v]) => v);
  t.same(statuses, ['103', '200', '304', '404', '503', '100', '204', '206', '302', '400', '403', '421', '425', '500']);
  const methods = STATIC_TABLE.filter(([n]) => n === ':method').map(([, v]) => v);
  t.same(methods, ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
  t.same(STATIC_TABLE.filter(([n]) => n === 'content-type').length, 11);
  for (const [name] of STATIC_TABLE) t.equal(name, name.toLowerCase(), `${name} is lowercase`);
});

t.test('lookups', async (t) => {
  t.equal(staticIndexOf(':method', 'GET'), 17);
  t.equal(staticIndexOf(':status', '425'), 70);
  t.equal(staticIndexOf('content-type', 'text/plain;charset=utf-8'), 54);
  t.equal(staticIndexOf(':method', 'PATCH'), undefined);
  t.equal(staticNameIndexOf(':method'), 15, 'first entry with the name');
  t.equal(staticNameIndexOf('content-type'), 44);
  t.equal(staticNameIndexOf('x-wwatp'), undefined);
  t.same(staticEntry(98), ['x-frame-options', 'sameorigin']);
  t.equal(staticEntry(99), undefined);
});
