import type { AddressInfo } from 'node:net';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { logFormatFor, prettyOutput } from './logging/output.js';

const config = loadConfig();
// A terminal gets readable lines; anything else (a container, a pipe, the tests) JSON.
const pretty = logFormatFor(process.stdout) === 'pretty' ? prettyOutput() : undefined;
const server = await buildApp(config, { logStream: pretty?.stream });
const { app } = server;

try {
  await app.listen({ port: config.PORT, host: config.HOST });
} catch (error) {
  // '::' needs IPv6; on a host without it, IPv4 alone still serves.
  if ((error as NodeJS.ErrnoException).code === 'EAFNOSUPPORT' && config.HOST === '::') {
    await app.listen({ port: config.PORT, host: '0.0.0.0' });
  } else {
    pretty?.open();
    app.log.fatal({ err: error }, 'could not listen');
    process.exit(1);
  }
}
// PUBLIC_URL when the operator set one; else this machine, on the port it got (PORT=0 picks one).
const openAt = config.PUBLIC_URL ? config.publicUrl : `http://localhost:${(app.server.address() as AddressInfo).port}`;
pretty?.open(`Small Talk is running: open ${openAt}`);

// /metrics on a port of its own, which the public proxy never forwards to (docs/deploy.md).
if (server.metricsApp && config.METRICS_PORT !== undefined) {
  try {
    await server.metricsApp.listen({ port: config.METRICS_PORT, host: config.HOST });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EAFNOSUPPORT' && config.HOST === '::') {
      await server.metricsApp.listen({ port: config.METRICS_PORT, host: '0.0.0.0' });
    } else {
      app.log.fatal({ err: error }, 'could not listen for /metrics on METRICS_PORT');
      process.exit(1);
    }
  }
}

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  app.log.info({ signal }, 'draining');
  try {
    await server.close();
    process.exit(0);
  } catch (error) {
    app.log.error({ err: error }, 'unclean shutdown');
    process.exit(1);
  }
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
