import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A mail as the receiver got it: who it was for and what it said. */
export interface ReceivedMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * A real SMTP server on a spare loopback port (smtp-server: no TLS, any login or none), keeping
 * every mail it is handed. Servers under test get `SMTP_URL=<url>`.
 */
export interface SmtpReceiver {
  url: string;
  port: number;
  mails: ReceivedMail[];
  /** The next mail to `to` not yet taken (in arrival order); fails after `timeoutMs`. */
  next(to: string, timeoutMs?: number): Promise<ReceivedMail>;
  /** Mails to `to` not yet taken. */
  waiting(to: string): ReceivedMail[];
  close(): Promise<void>;
}

export async function startSmtp(port = 0): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const to = [parsed.to]
            .flat()
            .flatMap((address) => address?.value ?? [])
            .map((a) => a.address ?? '');
          mails.push({
            // As MAIL_FROM spells it: `Name <address>`, without the quotes the header may add.
            from: (parsed.from?.value ?? [])
              .map((a) => (a.name ? `${a.name} <${a.address}>` : (a.address ?? '')))
              .join(', '),
            to: to.join(', '),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  server.on('error', () => {});
  const address = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  const waiting = (to: string) => mails.filter((mail) => mail.to === to && !taken.has(mail));
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    port: address.port,
    mails,
    waiting,
    async next(to, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [mail] = waiting(to);
        if (mail) {
          taken.add(mail);
          return mail;
        }
        if (Date.now() > deadline)
          throw new Error(`no mail to ${to} within ${timeoutMs} ms (${mails.length} received in all)`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The six-digit code in a verification mail. */
export function codeIn(mail: ReceivedMail): string {
  const match = /code is: (\d{6})/.exec(mail.text);
  if (!match) throw new Error(`no code in: ${mail.text}`);
  return match[1]!;
}

/** The reset token in a reset mail's link. */
export function resetTokenIn(mail: ReceivedMail): string {
  const match = /\/reset\?token=([A-Za-z0-9_%-]+)/.exec(mail.text);
  if (!match) throw new Error(`no reset link in: ${mail.text}`);
  return decodeURIComponent(match[1]!);
}
