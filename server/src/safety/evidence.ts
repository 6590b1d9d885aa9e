import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  EVIDENCE_MAX_BYTES,
  EVIDENCE_PER_REPORT,
  EVIDENCE_WINDOW_MS,
  type EvidenceResponse,
  type User,
} from '@small-talk/protocol';
import { AppError } from '../errors.js';
import type { Database } from '../storage/schema.js';
import type { Reports } from './reports.js';

/** Every JPEG starts with SOI (FF D8) then a marker's FF: what the bytes are, whatever the header claims. */
const JPEG_MAGIC = [0xff, 0xd8, 0xff];

export function isJpeg(image: Uint8Array): boolean {
  return image.length >= JPEG_MAGIC.length && JPEG_MAGIC.every((byte, i) => image[i] === byte);
}

/**
 * Snapshots a reporter attaches to its report: JPEGs kept in the database for the moderators
 * (next issue), never served to anyone else. Only while the report is fresh, so what is attached
 * is what the reporter saw, not a collection built up later.
 */
export class Evidence {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly reports: Reports,
  ) {}

  /** Throws `not_found` unless `reporter` filed the report within the last 10 minutes. */
  async mayAttach(reporter: User, reportId: string, now = new Date()): Promise<void> {
    // Someone else's report, and one too old, answer the same: nobody learns which reports exist.
    const report = await this.reports.ownRecent(reporter.id, reportId, new Date(now.getTime() - EVIDENCE_WINDOW_MS));
    if (!report)
      throw new AppError(
        'not_found',
        'no report of yours to attach to (evidence goes within 10 minutes of the report)',
      );
  }

  async attach(
    reporter: User,
    reportId: string,
    image: Uint8Array,
    now = new Date(),
  ): Promise<EvidenceResponse['evidence']> {
    await this.mayAttach(reporter, reportId, now);
    if (image.length > EVIDENCE_MAX_BYTES) throw tooLarge();
    if (!isJpeg(image)) throw new AppError('unsupported_media_type', 'evidence must be a JPEG image');
    const count = await this.db
      .selectFrom('report_evidence')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('report_id', '=', reportId)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= EVIDENCE_PER_REPORT)
      throw new AppError('too_many', `at most ${EVIDENCE_PER_REPORT} images per report`);
    const id = randomUUID();
    await this.db
      .insertInto('report_evidence')
      .values({ id, report_id: reportId, image, bytes: image.length, created_at: now.toISOString() })
      .execute();
    return { id, bytes: image.length };
  }
}

export function tooLarge(): AppError {
  return new AppError('too_large', `evidence may be at most ${EVIDENCE_MAX_BYTES / 1024} KiB`);
}
