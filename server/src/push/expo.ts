/**
 * The Expo Push API (https://docs.expo.dev/push-notifications/sending-notifications/): one POST of
 * a JSON array of messages, answered `{"data": [ticket, …]}` with one ticket per message in order,
 * each `{"status":"ok","id"}` or `{"status":"error","message","details":{"error":"DeviceNotRegistered"|…}}`.
 */

export interface ExpoMessage {
  to: string;
  title: string;
  body: string;
  data: Record<string, string>;
  sound: 'default';
  priority: 'high';
  /** Seconds the service keeps trying to deliver. */
  ttl: number;
}

/** Per message: delivered to the service, a token that reaches no device any more, or refused for another reason. */
export type SendOutcome = 'ok' | 'unregistered' | 'failed';

/** A failure worth trying again later (network, 429, 5xx), as the service's guide says. */
export class RetryableError extends Error {}

/** Expo accepts at most 100 messages per request. */
const CHUNK = 100;

export class ExpoSender {
  constructor(
    private readonly url: string,
    private readonly accessToken: string | undefined,
  ) {}

  async send(messages: readonly ExpoMessage[]): Promise<SendOutcome[]> {
    const outcomes: SendOutcome[] = [];
    for (let i = 0; i < messages.length; i += CHUNK) outcomes.push(...(await this.sendChunk(messages.slice(i, i + CHUNK))));
    return outcomes;
  }

  private async sendChunk(messages: readonly ExpoMessage[]): Promise<SendOutcome[]> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.accessToken) headers.authorization = `Bearer ${this.accessToken}`;
    let response: Response;
    try {
      response = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify(messages), signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new RetryableError(`push service unreachable: ${(error as Error).message}`);
    }
    if (response.status === 429 || response.status >= 500) throw new RetryableError(`push service answered ${response.status}`);
    // Any other refusal (400: a malformed request, 401: a wrong access token) will not heal by itself.
    if (!response.ok) return messages.map(() => 'failed');
    const body = (await response.json().catch(() => null)) as { data?: unknown } | null;
    const tickets = Array.isArray(body?.data) ? (body.data as Array<{ status?: string; details?: { error?: string } }>) : [];
    return messages.map((_, index) => {
      const ticket = tickets[index];
      if (ticket?.status === 'ok') return 'ok';
      if (ticket?.details?.error === 'DeviceNotRegistered') return 'unregistered';
      return 'failed';
    });
  }
}
