import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Secrets never reach the logs: credentials in headers, bodies with passwords, signal payloads
 * (SDP carries IPs), TURN credentials and the secret that signs them.
 */
const redact: LoggerOptions['redact'] = {
  paths: [
    'req.headers.authorization',
    'req.headers.cookie',
    'res.headers["set-cookie"]',
    'password',
    '*.password',
    'token',
    '*.token',
    'data',
    '*.data',
    'iceServers',
    '*.iceServers',
    'credential',
    '*.credential',
    'TURN_SECRET',
    '*.TURN_SECRET',
  ],
  censor: '[redacted]',
};

/** The server's one logger, redacting before any output (output.ts); to `stream`, or stdout as JSON. */
export function createLogger(level: string, stream?: DestinationStream): Logger {
  return stream ? pino({ level, redact }, stream) : pino({ level, redact });
}
