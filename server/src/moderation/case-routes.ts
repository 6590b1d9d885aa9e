import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  AuditQuery,
  CasesQuery,
  Id,
  type AuditResponse,
  type CasesResponse,
  type ModUserResponse,
} from '@small-talk/protocol';
import { principalOf } from '../auth/principal.js';
import { AppError } from '../errors.js';
import { parseInput } from '../validation.js';
import type { AuditLog } from './audit.js';
import type { Cases } from './cases.js';
import type { UserPage } from './user-page.js';

const ByParams = z.object({ id: Id });

/** What moderators read: the queue, a user's page, evidence images, the audit log. */
export async function caseRoutes(
  app: FastifyInstance,
  options: { cases: Cases; userPage: UserPage; audit: AuditLog },
): Promise<void> {
  const { cases, userPage, audit } = options;

  app.get('/api/mod/cases', { config: { principal: 'moderator' } }, async (request): Promise<CasesResponse> => {
    return { cases: await cases.list(parseInput(CasesQuery, request.query)) };
  });

  app.get('/api/mod/users/:id', { config: { principal: 'moderator' } }, async (request): Promise<ModUserResponse> => {
    const page = await userPage.of(parseInput(ByParams, request.params).id);
    if (!page) throw new AppError('not_found', 'no such user');
    return page;
  });

  app.get('/api/mod/evidence/:id', { config: { principal: 'moderator' } }, async (request, reply) => {
    const { user } = principalOf(request);
    const evidenceId = parseInput(ByParams, request.params).id;
    const evidence = await userPage.evidence(evidenceId);
    if (!evidence) throw new AppError('not_found', 'no such evidence (it may have passed its retention)');
    // Written before the image leaves: a view that could not be recorded is not shown.
    await audit.write({
      actor: { id: user.id, displayName: user.displayName },
      action: 'view_evidence',
      subjectUserId: evidence.reportedId,
      detail: { evidenceId, reportId: evidence.reportId },
    });
    // A picture of a person: no cache (browser, proxy) keeps a copy past the moderator's look.
    return reply.type('image/jpeg').header('cache-control', 'no-store').send(Buffer.from(evidence.image));
  });

  app.get('/api/mod/audit', { config: { principal: 'moderator' } }, async (request): Promise<AuditResponse> => {
    const query = parseInput(AuditQuery, request.query);
    // Compared as stored (ISO in UTC): a `before` with an offset must mean the same instant.
    return {
      entries: await audit.list({
        limit: query.limit,
        ...(query.before && { before: new Date(query.before).toISOString() }),
      }),
    };
  });
}
