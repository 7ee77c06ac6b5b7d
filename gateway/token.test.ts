import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readUpgradeAuth } from './token.js';

test('the token may come in the auth subprotocol; the server echoes parley.v1, never the token', () => {
  assert.deepEqual(readUpgradeAuth('parley.v1, parley.auth.abc.def.ghi', ''), {
    token: 'abc.def.ghi',
    protocol: 'parley.v1',
    protocolError: null,
  });
});

test('the token may come in the query string', () => {
  assert.deepEqual(readUpgradeAuth('', 'x=1&token=t0k'), { token: 't0k', protocol: '', protocolError: null });
  assert.deepEqual(readUpgradeAuth('parley.v1', 'token=t0k'), { token: 't0k', protocol: 'parley.v1', protocolError: null });
});

test('the subprotocol wins over the query string when both are present', () => {
  assert.equal(readUpgradeAuth('parley.v1,parley.auth.A', 'token=B').token, 'A');
});

test('no token at all is reported as null', () => {
  assert.equal(readUpgradeAuth('parley.v1', '').token, null);
  assert.equal(readUpgradeAuth('parley.v1, parley.auth.', 'token=').token, null);
});

test('offering subprotocols without parley.v1 is an error (a browser needs an echo it offered)', () => {
  const r = readUpgradeAuth('parley.auth.abc', '');
  assert.equal(r.protocolError, 'offer the "parley.v1" subprotocol');
});
