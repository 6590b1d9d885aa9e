import type { FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';

/**
 * What a browser may do on our pages: only our own origin for scripts, styles, images,
 * connections and workers, and the camera and microphone for us alone. A script injected into
 * the page could otherwise load code from anywhere or send what it reads anywhere, and a hostile
 * site could frame the camera page and trick a click.
 */
export const PERMISSIONS_POLICY = 'camera=(self), microphone=(self), geolocation=()';

/** CSP hash source of the empty string. */
const EMPTY_STYLE_HASH = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='";

export interface SecurityHeadersOptions {
  /**
   * CSP sources (`'sha256-…'`) of the inline <style> blocks in the web build's index.html: Expo
   * writes its reset styles there. Hashes allow exactly those blocks and nothing injected.
   */
  inlineStyleHashes: readonly string[];
}

/** Sets the security headers on every response: pages, assets, the API and errors alike. */
export async function securityHeaders(app: FastifyInstance, options: SecurityHeadersOptions): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // 'wasm-unsafe-eval' lets the page compile WebAssembly (the shield's TensorFlow.js wasm
        // backend, where WebGL is missing), fetched from our origin only; it allows no JS eval.
        scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
        // react-native-web adds an empty <style> element and fills it through CSSOM (insertRule,
        // which CSP allows): the hash of the empty text admits that element and no inline CSS.
        styleSrc: ["'self'", EMPTY_STYLE_HASH, ...options.inlineStyleHashes],
        // The app shows nothing from elsewhere; data: and blob: are what a browser makes locally.
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        fontSrc: ["'self'", 'data:'],
        // 'self' covers ws: and wss: to the page's own host (CSP Level 3): /ws needs nothing more.
        connectSrc: ["'self'"],
        workerSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // Not upgrade-insecure-requests: `npm start` on a LAN is plain http, and the upgrade
        // would send the page's own requests to an https port that does not exist.
      },
    },
    // HSTS belongs to whoever terminates TLS (the proxy: docs/deploy.md); over plain http a
    // browser ignores it anyway.
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('permissions-policy', PERMISSIONS_POLICY);
  });
}
