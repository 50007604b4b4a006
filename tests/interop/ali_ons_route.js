'use strict';
// A real RocketMQ client (ali-ons 3.12.0, npm) asks mq's name server for routes, the way its
// producer and consumer do. Usage: node ali_ons_route.js <namesrv host:port> <topic> <unknown topic>
// Prints the route as JSON on success and exits 0; any mismatch exits 1 with the reason.
const assert = require('assert');
const MQClientAPI = require('ali-ons/lib/mq_client_api');

async function main() {
  const [nameSrv, topic, unknownTopic] = process.argv.slice(2);
  const silent = { info() {}, warn() {}, debug() {}, error() {} };
  const api = new MQClientAPI({ nameSrv, httpclient: {}, logger: silent, responseTimeout: 5000 });
  await api.ready();
  const route = await api.getTopicRouteInfoFromNameServer(topic, 5000);
  assert(route && Array.isArray(route.queueDatas) && route.queueDatas.length > 0, 'no queueDatas');
  assert(Array.isArray(route.brokerDatas) && route.brokerDatas.length > 0, 'no brokerDatas');
  const master = route.brokerDatas[0].brokerAddrs['0'];
  assert(typeof master === 'string' && /^\d+\.\d+\.\d+\.\d+:\d+$/.test(master), `bad master address ${master}`);
  let notExist = null;
  try {
    await api.getTopicRouteInfoFromNameServer(unknownTopic, 5000);
  } catch (err) {
    notExist = err;
  }
  assert(notExist, 'an unknown topic must be an error');
  assert(/No topic route info/.test(notExist.message), `unexpected error: ${notExist.message}`);
  console.log(JSON.stringify(route));
  await api.close();
}

main().then(() => process.exit(0), err => {
  console.error(`ali-ons interop failed: ${err && err.stack || err}`);
  process.exit(1);
});
