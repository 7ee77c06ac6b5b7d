/**
 * A cluster started the way `make up` and the test clusters start it binds
 * every listener (api, gateway, and each process's ops port) to 127.0.0.1
 * only: each answers on loopback, is refused on another address of this
 * machine, and says in its log which address it bound.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../testkit/cluster.js';
import { otherLocalAddress, tryConnect } from '../testkit/net.js';

const other = otherLocalAddress();

describe('bind addresses', { skip: other === null && 'no other local address' }, () => {
  let c: Cluster;

  before(async () => {
    // The log check needs the info lines, whatever TEST_SERVICE_LOG_LEVEL says.
    c = await startCluster({ gateways: 1, env: { LOG_LEVEL: 'info' } });
  });
  after(async () => {
    await c?.stop();
  });

  test('every listener answers on 127.0.0.1 and is refused on another local address', async () => {
    const listeners = [
      ['api', Number(new URL(c.apiUrl).port)],
      ['gateway', Number(new URL(c.gatewayUrls[0]!).port)],
      ['api ops', c.api.opsPort],
      ['gateway ops', c.gateways[0]!.opsPort],
      ['worker ops', c.worker.opsPort],
    ] as const;
    for (const [name, port] of listeners) {
      assert.equal(await tryConnect('127.0.0.1', port), 'connected', `${name} on 127.0.0.1:${port}`);
      assert.equal(await tryConnect(other!, port), 'ECONNREFUSED', `${name} on ${other}:${port}`);
    }
  });

  test('each process logs the address it bound', () => {
    const logs = (output: string) => output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const api = logs(c.api.output());
    assert.match(String(api.find((l) => l.msg === 'api listening')?.address), /^http:\/\/127\.0\.0\.1:\d+$/);
    const gateway = logs(c.gateways[0]!.output());
    assert.match(String(gateway.find((l) => l.msg === 'gateway listening')?.url), /^ws:\/\/127\.0\.0\.1:\d+\/v1\/ws$/);
    for (const proc of [c.api, c.gateways[0]!, c.worker]) {
      const ops = logs(proc.output()).find((l) => l.msg === 'ops listener started');
      assert.deepEqual([ops?.host, ops?.port], ['127.0.0.1', proc.opsPort], proc.name);
    }
  });
});
