/**
 * Many upgrades completed at once: every socket is welcomed. The check for
 * the uWS bug gateway/upgrade.ts works around (a socket closed right after
 * `open`, before `welcome`); run it again before corking upgrades in a uWS
 * build with the upstream fix.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TokenResponse } from '../shared/http/schemas.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';

let c: Cluster;
let users: TokenResponse[];

before(async () => {
  c = await startCluster({ gateways: 1 });
  users = await Promise.all(Array.from({ length: 10 }, (_, i) => c.user(`burst${i}`)));
});
after(async () => {
  await c?.stop();
});

test('a burst of concurrent upgrades: every socket is welcomed, none closed early', async () => {
  const outcomes: Record<string, number> = {};
  for (let round = 0; round < 4; round++) {
    await Promise.all(
      Array.from({ length: 250 }, async (_, i) => {
        const ws = await c.connect(0, users[i % users.length]!.accessToken);
        const outcome = await Promise.race([
          ws.next('welcome', () => true, 15_000).then(() => 'welcome', () => 'no welcome'),
          ws.closed.then(({ code }) => `closed ${code} before welcome`),
        ]);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        await ws.close();
      }),
    );
  }
  assert.deepEqual(outcomes, { welcome: 1000 });
});
