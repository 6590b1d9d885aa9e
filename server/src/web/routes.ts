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
      reply.header('cache-control', cacheControlOf(path.relative(options.webDir, file)));
    },
  });
  // Pages the app opens from a link (a mailed password reset): the same single page, which reads
  // its path. Listed one by one, so an unknown path stays a 404 rather than an empty app.
  for (const page of APP_PAGES) {
    app.get(page, async (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'));
  }
}

/** Paths of the web app other than `/` that a link may open. */
export const APP_PAGES = ['/reset'] as const;

/** Files of the web build that never change under their name: cached for good. */
const IMMUTABLE = [
  // Bundles, named by their content hash.
  /^_expo\//,
  // The shield's model weights (named by their content hash) and TensorFlow.js's wasm binaries
  // (in a folder named by the package version): apps/mobile/scripts/shield-assets.mjs.
  /^shield\/models\/[^/]+\/weights\.[0-9a-f]+\.bin$/,
  /^shield\/tfjs-backend-wasm-[^/]+\//,
];

/**
 * Everything else (index.html, a model's model.json, which names its weights) is revalidated on
 * each load (ETag), or a deploy leaves browsers on old bundles or an old model. The service
 * worker (sw.js, apps/mobile/scripts/pwa-assets.mjs) above all: a browser compares it byte for
 * byte to find a new build, and a cached copy would keep the installed app on the old one. Its
 * scope is `/` because it is served from the root (no Service-Worker-Allowed needed); the
 * manifest (manifest.webmanifest) gets application/manifest+json from its extension.
 */
export function cacheControlOf(relativePath: string): string {
  const name = relativePath.split(path.sep).join('/');
  return IMMUTABLE.some((pattern) => pattern.test(name)) ? 'public, max-age=31536000, immutable' : 'no-cache';
}
