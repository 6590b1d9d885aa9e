/**
 * The Expo Push API (https://docs.expo.dev/push-notifications/sending-notifications/): one POST of
 * a JSON array of messages, answered `{"data": [ticket, …]}` with one ticket per message in order,
 * each `{"status":"ok","id"}` or `{"status":"error","message","details":{"error":"DeviceNotRegistered"|…}}`.
 * An `ok` ticket only means Expo took the message: whether APNs or FCM delivered it comes later,
 * in the receipt fetched with the ticket's id (POST …/getReceipts `{"ids":[…]}` →
 * `{"data":{"<id>":{"status":"ok"}|{"status":"error","details":{"error":…}}}}`).
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

/** What Expo answered for one message: with `ok`, the id its receipt is fetched by later. */
export interface Ticket {
  outcome: SendOutcome;
  receiptId?: string;
}

/** A failure worth trying again later (network, 429, 5xx), as the service's guide says. */
export class RetryableError extends Error {}

/** Expo accepts at most 100 messages per request… */
const CHUNK = 100;
/** …and at most 1000 receipt ids. */
const RECEIPT_CHUNK = 1000;

type Answer = { status?: string; id?: unknown; details?: { error?: string } };

function outcomeOf(answer: Answer | undefined): SendOutcome {
  if (answer?.status === 'ok') return 'ok';
  if (answer?.details?.error === 'DeviceNotRegistered') return 'unregistered';
  return 'failed';
}

/** The send endpoint's sibling: …/push/send → …/push/getReceipts. */
export function receiptsUrl(sendUrl: string): string {
  return sendUrl.replace(/\/send$/, '/getReceipts');
}

export class ExpoSender {
  private readonly receiptsUrl: string;

  constructor(
    private readonly url: string,
    private readonly accessToken: string | undefined,
  ) {
    this.receiptsUrl = receiptsUrl(url);
  }

  async send(messages: readonly ExpoMessage[]): Promise<Ticket[]> {
    const tickets: Ticket[] = [];
    for (let i = 0; i < messages.length; i += CHUNK)
      tickets.push(...(await this.sendChunk(messages.slice(i, i + CHUNK))));
    return tickets;
  }

  /** The receipts of these tickets, by id; an id Expo does not know (yet, or any more) is left out. */
  async receipts(ids: readonly string[]): Promise<Map<string, SendOutcome>> {
    const receipts = new Map<string, SendOutcome>();
    for (let i = 0; i < ids.length; i += RECEIPT_CHUNK) {
      const body = await this.post(this.receiptsUrl, { ids: ids.slice(i, i + RECEIPT_CHUNK) });
      const data = body?.data;
      if (data === null || typeof data !== 'object' || Array.isArray(data)) continue;
      for (const [id, receipt] of Object.entries(data as Record<string, Answer>)) receipts.set(id, outcomeOf(receipt));
    }
    return receipts;
  }

  private async sendChunk(messages: readonly ExpoMessage[]): Promise<Ticket[]> {
    const body = await this.post(this.url, messages);
    const answers = Array.isArray(body?.data) ? (body.data as Answer[]) : [];
    return messages.map((_, index) => {
      const answer = answers[index];
      const outcome = outcomeOf(answer);
      return outcome === 'ok' && typeof answer?.id === 'string' ? { outcome, receiptId: answer.id } : { outcome };
    });
  }

  /** The answer's JSON; null for a refusal that will not heal by itself (400: a malformed request, 401: a wrong access token). */
  private async post(url: string, payload: unknown): Promise<{ data?: unknown } | null> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.accessToken) headers.authorization = `Bearer ${this.accessToken}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new RetryableError(`push service unreachable: ${(error as Error).message}`);
    }
    if (response.status === 429 || response.status >= 500)
      throw new RetryableError(`push service answered ${response.status}`);
    if (!response.ok) return null;
    return ((await response.json().catch(() => null)) as { data?: unknown } | null) ?? {};
  }
}
