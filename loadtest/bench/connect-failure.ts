/**
 * Why a socket could not be opened, as a short stable reason the report
 * counts by (e.g. `EMFILE`, `EADDRNOTAVAIL`, `http_503`, `timeout`). Target
 * clients may reject with a ConnectFailure; any other rejection is
 * classified by `failureReason`.
 */
export class ConnectFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectFailure';
  }

  static from(err: unknown): ConnectFailure {
    return err instanceof ConnectFailure ? err : new ConnectFailure(failureReason(err), err instanceof Error ? err.message : String(err));
  }
}

export function failureReason(err: unknown): string {
  if (err instanceof ConnectFailure) return err.reason;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.length > 0) return code;
  const message = err instanceof Error ? err.message : String(err);
  const http = /Unexpected server response: (\d+)/.exec(message);
  if (http) return `http_${http[1]}`;
  return message.slice(0, 60) || 'unknown';
}
