import t from 'tap';
import { H3_ERROR } from '../../../src/transport/h3/errors.js';
import { fieldSectionSize, getHeader, getHeaders, type HeaderList } from '../../../src/transport/h3/headers.js';
import { validateRequest, validateResponse, validateTrailers } from '../../../src/transport/h3/validate.js';

const malformed = { h3Code: H3_ERROR.H3_MESSAGE_ERROR, scope: 'stream', code: 'PROTOCOL' };
const GET: HeaderList = [[':method', 'GET'], [':scheme', 'https'], [':authority', 'example.com'], [':path', '/a?b']];
const plain = { extendedConnect: false };
const extended = { extendedConnect: true };

t.test('helpers', async (t) => {
  const list: HeaderList = [...GET, ['cookie', 'a=1'], ['cookie', 'b=2']];
  t.equal(getHeader(list, ':path'), '/a?b');
  t.equal(getHeader(list, 'Cookie'), 'a=1', 'lookups ignore case');
  t.same(getHeaders(list, 'cookie'), ['a=1', 'b=2']);
  t.equal(getHeader(list, 'nope'), undefined);
  t.equal(fieldSectionSize([['ab', 'cde']]), 37);
});

t.test('valid requests', async (t) => {
  t.same(validateRequest(GET, plain), {
    method: 'GET', scheme: 'https', authority: 'example.com', path: '/a?b', protocol: undefined, contentLength: undefined,
  });
  t.equal(validateRequest([[':method', 'POST'], [':scheme', 'https'], [':path', '/'], ['host', 'h'], ['content-length', '5']], plain).contentLength, 5);
  t.equal(validateRequest([[':method', 'OPTIONS'], [':scheme', 'https'], [':authority', 'h'], [':path', '*']], plain).path, '*');
  t.equal(validateRequest([[':method', 'CONNECT'], [':authority', 'proxy:443']], plain).method, 'CONNECT');
  t.equal(validateRequest([...GET, ['te', 'trailers']], plain).method, 'GET');
  const wt = validateRequest([[':method', 'CONNECT'], [':protocol', 'webtransport'], [':scheme', 'https'], [':authority', 'h:4433'], [':path', '/wt'], ['origin', 'https://h']], extended);
  t.equal(wt.protocol, 'webtransport');
  t.equal(validateRequest([...GET, ['content-length', '7, 7']], plain).contentLength, 7, 'repeated equal values');
});

t.test('malformed requests are H3_MESSAGE_ERROR', async (t) => {
  const bad: [HeaderList, string][] = [
    [[[':scheme', 'https'], [':authority', 'h'], [':path', '/']], 'no :method'],
    [[[':method', 'GET'], [':authority', 'h'], [':path', '/']], 'no :scheme'],
    [[[':method', 'GET'], [':scheme', 'https'], [':authority', 'h']], 'no :path'],
    [[[':method', 'GET'], [':scheme', 'https'], [':authority', 'h'], [':path', '']], 'empty :path'],
    [[[':method', 'GET'], [':scheme', 'https'], [':path', '/']], 'https without :authority or host'],
    [[[':method', 'GET'], [':scheme', 'https'], [':authority', ''], [':path', '/']], 'empty :authority'],
    [[...GET, ['host', 'other.com']], ':authority and host differ'],
    [[[':method', 'GET'], [':scheme', 'https'], ['x', 'y'], [':authority', 'h'], [':path', '/']], 'pseudo after regular'],
    [[...GET, [':method', 'GET']], 'pseudo repeated (and after none regular)'],
    [[[':method', 'GET'], [':method', 'GET'], [':scheme', 'https'], [':authority', 'h'], [':path', '/']], 'repeated :method'],
    [[...GET.slice(0, 1), [':status', '200'], ...GET.slice(1)], 'response pseudo in a request'],
    [[[':foo', 'x'], ...GET], 'unknown pseudo'],
    [[...GET, ['Content-Type', 'x']], 'uppercase name'],
    [[...GET, ['x y', 'x']], 'space in name'],
    [[...GET, ['', 'x']], 'empty name'],
    [[...GET, ['x', 'a\r\nb']], 'CRLF in value'],
    [[...GET, ['x', 'a\u0000b']], 'NUL in value'],
    [[...GET, ['connection', 'close']], 'connection'],
    [[...GET, ['keep-alive', '5']], 'keep-alive'],
    [[...GET, ['proxy-connection', 'x']], 'proxy-connection'],
    [[...GET, ['transfer-encoding', 'chunked']], 'transfer-encoding'],
    [[...GET, ['upgrade', 'h2c']], 'upgrade'],
    [[...GET, ['te', 'gzip']], 'te other than trailers'],
    [[...GET, ['content-length', 'abc']], 'bad content-length'],
    [[...GET, ['content-length', '1'], ['content-length', '2']], 'conflicting content-length'],
    [[[':method', 'CONNECT'], [':scheme', 'https'], [':authority', 'h'], [':path', '/']], 'plain CONNECT with :scheme/:path'],
    [[[':method', 'CONNECT']], 'CONNECT without :authority'],
    [[[':method', 'GET'], [':scheme', 'https'], [':authority', 'h'], [':path', '*']], ':path * for GET'],
    [[[':method', 'GET'], [':scheme', 'https'], [':authority', 'h'], [':path', 'rel']], 'relative :path'],
  ];
  for (const [list, why] of bad) t.throws(() => validateRequest(list, extended), malformed, why);
});

t.test(':protocol needs extended CONNECT enabled, CONNECT, and the full pseudo set', async (t) => {
  const wt: HeaderList = [[':method', 'CONNECT'], [':protocol', 'webtransport'], [':scheme', 'https'], [':authority', 'h'], [':path', '/wt']];
  t.throws(() => validateRequest(wt, plain), malformed, 'not enabled');
  t.throws(() => validateRequest([[':method', 'GET'], ...wt.slice(1)], extended), malformed, 'not CONNECT');
  t.throws(() => validateRequest(wt.filter(([n]) => n !== ':path'), extended), malformed, 'no :path');
  t.throws(() => validateRequest(wt.filter(([n]) => n !== ':authority'), extended), malformed, 'no :authority');
});

t.test('responses', async (t) => {
  t.same(validateResponse([[':status', '200'], ['content-length', '3']]), { status: 200, contentLength: 3 });
  t.equal(validateResponse([[':status', '103'], ['link', '</a>']]).status, 103);
  const bad: [HeaderList, string][] = [
    [[['content-type', 'x']], 'no :status'],
    [[[':status', '20']], 'two digits'],
    [[[':status', '600']], 'out of range'],
    [[[':status', 'abc']], 'not a number'],
    [[[':status', '101']], '101 is not allowed in HTTP/3'],
    [[[':status', '200'], [':status', '200']], 'repeated'],
    [[[':status', '200'], [':path', '/']], 'request pseudo'],
    [[['x', 'y'], [':status', '200']], 'pseudo after regular'],
    [[[':status', '200'], ['transfer-encoding', 'chunked']], 'connection-specific'],
    [[[':status', '200'], ['X-Up', 'y']], 'uppercase'],
  ];
  for (const [list, why] of bad) t.throws(() => validateResponse(list), malformed, why);
});

t.test('trailers carry no pseudo-headers', async (t) => {
  t.doesNotThrow(() => validateTrailers([['x-checksum', 'abc']]));
  t.throws(() => validateTrailers([[':status', '200']]), malformed);
  t.throws(() => validateTrailers([['connection', 'x']]), malformed);
});
