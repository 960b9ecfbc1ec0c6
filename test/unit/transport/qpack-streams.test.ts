import t from 'tap';
import { H3_ERROR } from '../../../src/transport/h3/errors.js';
import { DecoderStreamChecker, EncoderStreamChecker } from '../../../src/transport/h3/qpack/instruction-streams.js';

const encoderError = { code: 'PROTOCOL', h3Code: H3_ERROR.QPACK_ENCODER_STREAM_ERROR, scope: 'connection' };
const decoderError = { code: 'PROTOCOL', h3Code: H3_ERROR.QPACK_DECODER_STREAM_ERROR, scope: 'connection' };

t.test('encoder stream: only Set Dynamic Table Capacity 0 is acceptable', async (t) => {
  const ok = new EncoderStreamChecker(0);
  t.doesNotThrow(() => ok.push(new Uint8Array([0x20, 0x20])), 'capacity 0, twice');
  t.throws(() => new EncoderStreamChecker(0).push(new Uint8Array([0x21])), encoderError, 'capacity 1');
  t.throws(() => new EncoderStreamChecker(0).push(new Uint8Array([0x3f, 0xe1, 0x1f])), encoderError, 'capacity 4096');
  t.throws(() => new EncoderStreamChecker(0).push(new Uint8Array([0xc0 | 17, 0x01, 0x61])), encoderError, 'insert with name reference');
  t.throws(() => new EncoderStreamChecker(0).push(new Uint8Array([0x41, 0x61, 0x01, 0x62])), encoderError, 'insert with literal name');
  t.throws(() => new EncoderStreamChecker(0).push(new Uint8Array([0x00])), encoderError, 'duplicate');
  const split = new EncoderStreamChecker(100);
  t.doesNotThrow(() => split.push(new Uint8Array([0x3f])), 'a capacity split across chunks waits');
  t.doesNotThrow(() => split.push(new Uint8Array([0x20])), '31 + 32 = 63 <= 100');
  t.throws(() => new EncoderStreamChecker(0).push(new Uint8Array([0x3f, ...new Array<number>(20).fill(0x80)])), encoderError, 'endless integer');
});

t.test('decoder stream: stream cancellations are fine; acknowledgments and increments are not', async (t) => {
  const ok = new DecoderStreamChecker();
  ok.push(new Uint8Array([0x40, 0x44]));
  ok.push(new Uint8Array([0x7f]));
  ok.push(new Uint8Array([0x01]));
  t.equal(ok.cancelledStreams, 3);
  t.throws(() => new DecoderStreamChecker().push(new Uint8Array([0x80])), decoderError, 'Section Acknowledgment');
  t.throws(() => new DecoderStreamChecker().push(new Uint8Array([0x01])), decoderError, 'Insert Count Increment');
  t.throws(() => new DecoderStreamChecker().push(new Uint8Array([0x00])), decoderError, 'Insert Count Increment of 0');
});
