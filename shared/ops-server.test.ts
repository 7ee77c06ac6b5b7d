/** The ops listener binds OPS_HOST: on 127.0.0.1 it cannot be reached on another address of the machine, on 0.0.0.0 it can. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { testLogger } from '../testkit/logger.js';
import { otherLocalAddress, tryConnect } from '../testkit/net.js';
import { startOpsServer } from './ops-server.js';

const other = otherLocalAddress();

test('bound to 127.0.0.1: reachable there, refused on another local address; bound to 0.0.0.0: reachable on both', { skip: other === null && 'no other local address' }, async () => {
  const deps = { registry: new Registry(), logger: testLogger(), ready: () => true };
  const loopback = await startOpsServer({ host: '127.0.0.1', port: 0 }, deps);
  try {
    assert.equal(loopback.host, '127.0.0.1', 'it reports the address it bound');
    assert.equal(await tryConnect('127.0.0.1', loopback.port), 'connected');
    assert.equal(await tryConnect(other!, loopback.port), 'ECONNREFUSED', `${other}:${loopback.port}`);
  } finally {
    await loopback.close();
  }
  const everywhere = await startOpsServer({ host: '0.0.0.0', port: 0 }, deps);
  try {
    assert.equal(everywhere.host, '0.0.0.0');
    assert.equal(await tryConnect(other!, everywhere.port), 'connected', 'the other address is this machine: the check above means something');
    const res = await fetch(`http://${other}:${everywhere.port}/healthz`);
    assert.equal(res.status, 200);
  } finally {
    await everywhere.close();
  }
});
