import { buildApp } from './app.js';
import { loadConfig } from './config.js';

const config = loadConfig();
const server = await buildApp(config);
const { app } = server;

try {
  await app.listen({ port: config.PORT, host: config.HOST });
} catch (error) {
  // '::' needs IPv6; on a host without it, IPv4 alone still serves.
  if ((error as NodeJS.ErrnoException).code === 'EAFNOSUPPORT' && config.HOST === '::') {
    await app.listen({ port: config.PORT, host: '0.0.0.0' });
  } else {
    app.log.fatal({ err: error }, 'could not listen');
    process.exit(1);
  }
}

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
