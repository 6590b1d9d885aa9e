/**
 * Where the server's log lines go and in what shape. JSON, one object a line, is the default:
 * what containers, log shippers and the tests read. A person running `npm start` in a terminal
 * gets one readable line per event instead (pino-pretty), after a first line that says where to
 * open the app. Redaction happens in pino before either (logger.ts), so both hide the same secrets.
 */
import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';

/** Readable lines only for a terminal: anything else (a pipe, a file, a container's log) gets JSON. */
export function logFormatFor(stdout: { isTTY?: boolean }): LogFormat {
  return stdout.isTTY === true ? 'pretty' : 'json';
}

export interface PrettyOutput {
  /** For buildApp's logger. */
  stream: DestinationStream;
  /**
   * Prints `firstLine` (when given), then every line logged so far, then lets lines through as
   * they come: lines logged while the server starts wait here, so the line that says where to
   * open the app is the first on screen, and is printed only once the server listens.
   */
  open(firstLine?: string): void;
}

export function prettyOutput(write: (text: string) => void = (text) => process.stdout.write(text)): PrettyOutput {
  const held: string[] = [];
  let opened = false;
  const pretty = PinoPretty({
    // Fields the terminal reader never needs on every line.
    ignore: 'pid,hostname',
    translateTime: 'SYS:HH:MM:ss',
    // One line per event: a request's fields go on its line, not on lines of their own.
    singleLine: true,
    // Written through `write`, in order, with nothing buffered behind pino's back.
    sync: true,
    destination: new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        const text = chunk.toString();
        if (opened) write(text);
        else held.push(text);
        done();
      },
    }),
  });
  return {
    stream: pretty,
    open(firstLine) {
      if (opened) return;
      opened = true;
      if (firstLine) write(`${firstLine}\n`);
      for (const text of held.splice(0)) write(text);
    },
  };
}
