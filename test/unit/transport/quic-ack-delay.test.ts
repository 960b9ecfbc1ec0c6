import t from 'tap';
import { ACK_AT_BYTES, ACK_DELAY_MS, AckDelay } from '../../../src/transport/quic/ack-delay.js';

t.test('one datagram of any size may wait for its ACK; nothing owed before it', async (t) => {
  const ack = new AckDelay(() => undefined);
  t.notOk(ack.owed);
  ack.received(16_000);
  t.ok(ack.owed);
  t.ok(ack.mayWait, 'a lone full-size packet: the answer may carry the ACK');
});

t.test('two full-size packets are ACKed at once, as TCP ACKs every second full segment', async (t) => {
  const ack = new AckDelay(() => undefined);
  ack.received(1200);
  ack.received(1200);
  t.notOk(ack.mayWait);
});

t.test('small packets wait until they add up to two full ones', async (t) => {
  const ack = new AckDelay(() => undefined);
  const push = 330; // a listener push to a watcher
  let count = 0;
  while (ack.mayWait || count === 0) {
    ack.received(push);
    count++;
  }
  t.equal(count, Math.ceil(ACK_AT_BYTES / push), `${count} pushes per ACK instead of 2`);
  ack.sent();
  t.notOk(ack.owed, 'a send pass acknowledged everything');
  ack.received(push);
  t.ok(ack.mayWait, 'and counting starts over');
});

t.test('a waiting ACK goes when the timer fires, or not at all once a send pass ran', async (t) => {
  let fired = 0;
  const ack = new AckDelay(() => fired++);
  ack.received(100);
  ack.wait();
  t.ok(ack.waiting);
  await new Promise((resolve) => setTimeout(resolve, ACK_DELAY_MS + 15));
  t.equal(fired, 1, 'the delayed ACK went within ACK_DELAY_MS');
  t.notOk(ack.waiting);
  ack.received(100);
  ack.wait();
  ack.sent();
  await new Promise((resolve) => setTimeout(resolve, ACK_DELAY_MS + 15));
  t.equal(fired, 1, 'a send pass cancelled the timer');
});
