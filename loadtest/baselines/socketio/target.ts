/** The Socket.IO baseline as a benchmark target: two Socket.IO processes, and the client that speaks to them. */
import { startBaseline, type BaselineOptions, type BaselineServer } from '../launch.js';

export { socketIoClient } from './client.js';

export const startSocketIoTarget = (options: BaselineOptions = {}): Promise<BaselineServer> =>
  startBaseline('socketio', 'loadtest/baselines/socketio/main.js', options);
