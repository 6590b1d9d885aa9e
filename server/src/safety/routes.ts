import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  ConsentRequest,
  EVIDENCE_MAX_BYTES,
  Id,
  ReportRequest,
  type EvidenceResponse,
  type MeResponse,
  type ReportResponse,
  type ReportsResponse,
  type RulesResponse,
} from '@small-talk/protocol';
import { principalOf } from '../auth/principal.js';
import { parseInput } from '../validation.js';
import { tooLarge, type Evidence } from './evidence.js';
import type { Reports } from './reports.js';
import type { Safety } from './service.js';

const ReportParams = z.object({ id: Id });

/**
 * Bytes of an oversized upload still read (and thrown away) before the connection is cut: enough
 * that an honest client's request completes and it reads our 413, not a reset.
 */
const DRAIN_LIMIT_BYTES = 4 * 1024 * 1024;

export async function safetyRoutes(
  app: FastifyInstance,
  options: { safety: Safety; reports: Reports; evidence: Evidence },
): Promise<void> {
  const { safety, reports, evidence } = options;

  // No session needed: the rules are public, and the app shows them before anyone signs in.
  app.get('/api/rules', async (): Promise<RulesResponse> => safety.rules);

  app.post('/api/me/consent', { config: { principal: 'user' } }, async (request): Promise<MeResponse> => {
    const { user } = principalOf(request);
    await safety.refuseIfUnderage(user.id);
    const answer = parseInput(ConsentRequest, request.body);
    return { user: await safety.consent(user, answer) };
  });

  app.post('/api/reports', { config: { principal: 'user' } }, async (request, reply): Promise<ReportResponse> => {
    const { user } = principalOf(request);
    const body = parseInput(ReportRequest, request.body);
    const { decidedAt: _, ...report } = await reports.file(user, body);
    reply.code(201);
    return { report };
  });

  app.get('/api/reports', { config: { principal: 'user' } }, async (request): Promise<ReportsResponse> => {
    const { user } = principalOf(request);
    return { reports: await reports.mine(user.id) };
  });

  // Evidence is the one body that is not JSON: the raw JPEG, read here (this plugin's routes
  // only) and never by Fastify's 16 KiB JSON reader. It counts bytes as they come, so the answer
  // to an oversized image is `too_large`, not a generic limit.
  app.addContentTypeParser('image/jpeg', (_request, payload, done) => {
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= EVIDENCE_MAX_BYTES) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) payload.destroy(tooLarge());
    });
    payload.on('end', () =>
      size > EVIDENCE_MAX_BYTES ? done(tooLarge(), undefined) : done(null, Buffer.concat(chunks)),
    );
    payload.on('error', (error) => done(error, undefined));
  });

  app.post(
    '/api/reports/:id/evidence',
    {
      config: { bodyType: 'image/jpeg', principal: 'user' },
      // Who may attach is decided before the image is read: someone else's report costs no upload.
      onRequest: async (request) => {
        const { user } = principalOf(request);
        await evidence.mayAttach(user, parseInput(ReportParams, request.params).id);
      },
    },
    async (request, reply): Promise<EvidenceResponse> => {
      const { user } = principalOf(request);
      const { id } = parseInput(ReportParams, request.params);
      const image = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      reply.code(201);
      return { evidence: await evidence.attach(user, id, image) };
    },
  );
}
