/** The deployment's settings, from the api's GET /config.json (one build serves any deployment). */
export interface RuntimeConfig {
  /** The gateway WebSocket URL. */
  wsUrl: string;
}

export async function loadRuntimeConfig(): Promise<RuntimeConfig> {
  const res = await fetch('/config.json', { headers: { accept: 'application/json' }, cache: 'no-cache' });
  if (!res.ok) throw new Error(`GET /config.json answered ${res.status}`);
  const body = (await res.json()) as Partial<RuntimeConfig>;
  if (typeof body.wsUrl !== 'string' || !/^wss?:\/\//.test(body.wsUrl)) throw new Error('config.json has no usable wsUrl');
  return { wsUrl: body.wsUrl };
}
