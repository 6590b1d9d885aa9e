import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { errorBody } from '../errors.js';

/** Serves the app's web build at `/`, so one origin carries the page, /api and /ws. */
export async function webRoutes(app: FastifyInstance, options: { webDir: string }): Promise<void> {
  if (!fs.existsSync(path.join(options.webDir, 'index.html'))) {
    app.log.warn({ webDir: options.webDir }, 'no web build: / is not served (npm start builds it)');
    app.get('/', async (_request, reply) =>
      reply.code(404).send(errorBody('not_found', 'the web app is not built here: `npm start` builds it')),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: options.webDir,
    prefix: '/',
    setHeaders(reply, file) {
      // Bundles are named by their content hash: cache them for good. index.html must be
      // fetched each time, or a deploy leaves browsers on old bundles.
      reply.header('cache-control', file.includes(`${path.sep}_expo${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
