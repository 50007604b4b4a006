'use strict';
// End to end with a real RocketMQ client (ali-ons 3.12.0, npm) against mq: a Producer sends
// messages with tags and keys to a topic created beforehand (ali-ons 3.12.0 treats TOPIC_NOT_EXIST
// from the name server as fatal, so it cannot use TBW102 auto-creation), a clustering PushConsumer
// subscribed to one tag receives exactly those, a broadcasting PushConsumer receives everything,
// and a message the clustering handler fails once (ACTION_RETRY) comes back through the broker's
// retry path (CONSUMER_SEND_MSG_BACK -> delayed -> %RETRY%group) with reconsumeTimes 1.
// Usage: node ali_ons_e2e.js <namesrv host:port> <topic>. Prints a JSON summary and exits 0, or exits 1
// with the reason. The broker should run with short delay levels (messageDelayLevel=1s ...).
const assert = require('assert');
const { Producer, Consumer, Message } = require('ali-ons');

const TIMEOUT_MS = 90000;
const silent = { info() {}, warn() {}, debug() {}, error() {} };

function waitFor(pred, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (pred()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 100);
    };
    tick();
  });
}

async function main() {
  const [nameSrv, topic] = process.argv.slice(2);
  assert(nameSrv && topic, 'usage: node ali_ons_e2e.js <namesrv host:port> <topic>');
  const stamp = Date.now();
  const common = { nameSrv, httpclient: {}, logger: silent, instanceName: `e2e_${stamp}` };

  const producer = new Producer(Object.assign({ producerGroup: `ons_e2e_pg_${stamp}` }, common));
  await producer.ready();
  const sent = [];
  for (let i = 0; i < 6; i++) {
    const tag = i % 2 === 0 ? 'TagA' : 'TagB';
    const msg = new Message(topic, tag, `body-${i}`);
    msg.keys = [ `key-${i}` ];
    const result = await producer.send(msg);
    assert.strictEqual(result.sendStatus, 'SEND_OK', `send ${i}: ${JSON.stringify(result)}`);
    assert(result.msgId, 'send result without msgId');
    sent.push({ tag, body: `body-${i}`, key: `key-${i}`, msgId: result.msgId });
  }

  const clustered = new Map(); // body -> [reconsumeTimes...]
  const clustering = new Consumer(Object.assign({
    consumerGroup: `ons_e2e_cg_${stamp}`,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  }, common));
  clustering.subscribe(topic, 'TagA', async msg => {
    const body = msg.body.toString();
    assert.strictEqual(msg.tags, 'TagA', `clustering consumer got tag ${msg.tags}`);
    if (!clustered.has(body)) clustered.set(body, []);
    clustered.get(body).push(msg.reconsumeTimes);
    // The first delivery of body-0 fails: the broker must redeliver it.
    if (body === 'body-0' && msg.reconsumeTimes === 0) return Consumer.ACTION_RETRY;
  });
  clustering.on('error', err => { if (process.env.MQ_E2E_VERBOSE) console.error(err.message); });

  const broadcast = new Set();
  const broadcasting = new Consumer(Object.assign({
    consumerGroup: `ons_e2e_bg_${stamp}`,
    isBroadcast: true,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  }, common));
  broadcasting.subscribe(topic, '*', async msg => {
    broadcast.add(msg.body.toString());
    assert(msg.keys && msg.keys.length, 'keys lost');
  });
  broadcasting.on('error', err => { if (process.env.MQ_E2E_VERBOSE) console.error(err.message); });

  const tagA = sent.filter(s => s.tag === 'TagA').map(s => s.body);
  await waitFor(() => broadcast.size === sent.length, 'the broadcasting consumer', TIMEOUT_MS);
  await waitFor(() => tagA.every(b => clustered.has(b)), 'the clustering consumer', TIMEOUT_MS);
  await waitFor(() => (clustered.get('body-0') || []).includes(1), 'the redelivery of body-0', TIMEOUT_MS);
  for (const [ body ] of clustered) assert(tagA.includes(body), `clustering consumer got ${body} (not TagA)`);

  const summary = {
    topic,
    sent: sent.length,
    broadcast: [ ...broadcast ].sort(),
    clustering: Object.fromEntries([ ...clustered ].sort()),
  };
  console.log(JSON.stringify(summary));
  await Promise.all([ clustering.close(), broadcasting.close(), producer.close() ]);
}

const guard = setTimeout(() => {
  console.error('ali-ons e2e: overall timeout');
  process.exit(1);
}, TIMEOUT_MS + 30000);
main().then(() => {
  clearTimeout(guard);
  process.exit(0);
}, err => {
  console.error(`ali-ons e2e failed: ${err && err.stack || err}`);
  process.exit(1);
});
