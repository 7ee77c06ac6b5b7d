/** The relay baseline as a benchmark target: two relay processes, and the client that speaks to them. */
import { startBaseline, type BaselineOptions, type BaselineServer } from '../launch.js';

export { relayClient } from './client.js';

export const startRelayTarget = (options: BaselineOptions = {}): Promise<BaselineServer> =>
  startBaseline('relay', 'loadtest/baselines/relay/main.js', options);
