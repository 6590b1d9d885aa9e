import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { errorBody } from '../errors.js';

/**
 * CSP sources for the inline <style> blocks of the web build's index.html (Expo's reset styles),
 * read once at start (a new build is deployed with a restart).
 */
export function inlineStyleHashes(webDir: string): string[] {
  let html: string;
  try {
    html = fs.readFileSync(path.join(webDir, 'index.html'), 'utf8');
  } catch {
    return [];
  }
  return [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)].map(
    (match) => `'sha256-${createHash('sha256').update(match[1]!).digest('base64')}'`,
  );
}

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
    // A dot-file in the build folder (.env, .git) is never part of the app: 404, as if absent.
    dotfiles: 'ignore',
    setHeaders(reply, file) {
      // Bundles are named by their content hash: cache them for good. index.html must be
      // fetched each time, or a deploy leaves browsers on old bundles.
      reply.header('cache-control', file.includes(`${path.sep}_expo${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
