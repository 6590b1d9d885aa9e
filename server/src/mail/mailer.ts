import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createTransport } from 'nodemailer';
import type { Logger } from 'pino';

/** What a mail is for: the log says which kind failed, never what it carried. */
export type MailPurpose = 'verify' | 'reset';

export interface Mail {
  purpose: MailPurpose;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Waits before the second, third … attempt: a mail server restarting or greylisting us is back
 * within minutes, and a code is good for 15 of them, so the last try is still worth making.
 */
export const RETRY_DELAYS_MS: readonly number[] = [2_000, 10_000, 60_000, 5 * 60_000];
/** Mails sent at once; more wait their turn in the queue. */
export const CONCURRENT_SENDS = 4;
/** Mails waiting beyond this are dropped (and logged): a flood must not grow the process without bound. */
export const MAX_QUEUED = 1000;
/**
 * A server that accepts the connection and then says nothing is given this long per step, not
 * nodemailer's minutes: a stuck send holds one of the CONCURRENT_SENDS slots meanwhile.
 */
const SMTP_TIMEOUT_MS = 15_000;

export interface MailerOptions {
  /** SMTP_URL; unset: each mail is written to `mailDir` as an .eml file and its path logged. */
  smtpUrl?: string | undefined;
  from: string;
  /** DATA_DIR/mail: where the embedded default writes. */
  mailDir: string;
  log: Logger;
  /** The waits between attempts (tests shorten them); its length is the number of retries. */
  retryDelaysMs?: readonly number[];
}

interface Queued {
  mail: Mail;
  attempt: number;
}

type Send = (mail: Mail) => Promise<void>;

/**
 * Sends the service's mail without making a request wait for it: `send` only queues. Each mail
 * is tried, and on failure tried again after RETRY_DELAYS_MS; after the last try it is logged as
 * an error with its purpose and the server's answer, never its address, code or link.
 *
 * On close, mails waiting for a retry (or for a free slot) are dropped and logged, and sends under
 * way are awaited: a stopping process must not hold its shutdown for minutes of backoff, and a
 * code or link that never arrives is asked for again by its user.
 */
export class Mailer {
  private readonly queue: Queued[] = [];
  private readonly retries = new Map<NodeJS.Timeout, Queued>();
  private readonly sending = new Set<Promise<void>>();
  private readonly deliver: Send;
  private readonly delays: readonly number[];
  private closed = false;

  constructor(private readonly options: MailerOptions) {
    this.delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.deliver = options.smtpUrl
      ? smtpSender(options.smtpUrl, options.from)
      : fileSender(options.mailDir, options.from, options.log);
  }

  /** Queues the mail and returns at once. */
  send(mail: Mail): void {
    if (this.closed) {
      this.options.log.error({ purpose: mail.purpose }, 'mail dropped: the server is shutting down');
      return;
    }
    if (this.queue.length >= MAX_QUEUED) {
      this.options.log.error({ purpose: mail.purpose, queued: this.queue.length }, 'mail dropped: the queue is full');
      return;
    }
    this.queue.push({ mail, attempt: 0 });
    this.pump();
  }

  /** Mails queued, waiting for a retry, or being sent. */
  pending(): number {
    return this.queue.length + this.retries.size + this.sending.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    const dropped = [...this.queue.splice(0), ...this.retries.values()];
    for (const timer of this.retries.keys()) clearTimeout(timer);
    this.retries.clear();
    for (const item of dropped)
      this.options.log.error(
        { purpose: item.mail.purpose, attempts: item.attempt },
        'mail dropped: the server is shutting down',
      );
    await Promise.allSettled([...this.sending]);
  }

  private pump(): void {
    while (!this.closed && this.sending.size < CONCURRENT_SENDS && this.queue.length > 0) {
      const item = this.queue.shift()!;
      const attempt = this.attempt(item).finally(() => {
        this.sending.delete(attempt);
        this.pump();
      });
      this.sending.add(attempt);
    }
  }

  private async attempt(item: Queued): Promise<void> {
    item.attempt += 1;
    try {
      await this.deliver(item.mail);
      if (item.attempt > 1)
        this.options.log.info({ purpose: item.mail.purpose, attempts: item.attempt }, 'mail sent after a retry');
      return;
    } catch (error) {
      const failure = describe(error);
      const delay = this.delays[item.attempt - 1];
      // A permanent refusal (5xx: no such mailbox, not allowed to relay) is the same next time.
      if (delay === undefined || failure.permanent || this.closed) {
        this.options.log.error(
          { purpose: item.mail.purpose, attempts: item.attempt, ...failure.fields },
          'mail not sent',
        );
        return;
      }
      this.options.log.warn(
        { purpose: item.mail.purpose, attempts: item.attempt, retryInMs: delay, ...failure.fields },
        'mail not sent yet; retrying',
      );
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        this.queue.push(item);
        this.pump();
      }, delay);
      timer.unref();
      this.retries.set(timer, item);
    }
  }
}

/**
 * What the log may say about a failed send: nodemailer's error code and the SMTP reply code. Not
 * the error's message, which can quote the server's reply, and a reply can quote the recipient.
 */
function describe(error: unknown): { permanent: boolean; fields: { code?: string; responseCode?: number } } {
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  const fields: { code?: string; responseCode?: number } = {};
  if (typeof code === 'string') fields.code = code;
  if (typeof responseCode === 'number') fields.responseCode = responseCode;
  return { permanent: typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600, fields };
}

function smtpSender(url: string, from: string): Send {
  const transport = createTransport({
    url,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  return async (mail) => {
    await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
  };
}

/**
 * The embedded default: the mail as it would have gone out, written to `dir` (DATA_DIR/mail), its
 * path logged so a developer can open it and read the code. The path names no secret.
 */
function fileSender(dir: string, from: string, log: Logger): Send {
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  let made: Promise<unknown> | null = null;
  return async (mail) => {
    made ??= fs.mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      made = null; // the next mail tries again (a full disk freed, a folder fixed)
      throw error;
    });
    await made;
    const info = await transport.sendMail({
      from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
    });
    const file = path.join(
      dir,
      `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.purpose}-${randomUUID().slice(0, 8)}.eml`,
    );
    // Only the owner reads it: it holds a code or a reset link.
    await fs.writeFile(file, info.message as Buffer, { mode: 0o600 });
    log.info({ purpose: mail.purpose, path: file }, 'mail written to a file (no SMTP_URL)');
  };
}
