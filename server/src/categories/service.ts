import type { Kysely } from 'kysely';
import type { Category } from '@small-talk/protocol';
import type { MatchStore } from '../storage/match/store.js';
import type { Database } from '../storage/schema.js';

/** The categories users can meet in. Seeded by migration and read once: they do not change while serving. */
export class Categories {
  private constructor(
    private readonly all: ReadonlyArray<{ slug: string; name: string }>,
    private readonly slugs: ReadonlySet<string>,
    private readonly store: MatchStore,
  ) {}

  static async load(db: Kysely<Database>, store: MatchStore): Promise<Categories> {
    const rows = await db
      .selectFrom('categories')
      .select(['slug', 'name'])
      .orderBy('position')
      .orderBy('slug')
      .execute();
    return new Categories(rows, new Set(rows.map((r) => r.slug)), store);
  }

  has(slug: string): boolean {
    return this.slugs.has(slug);
  }

  async list(): Promise<Category[]> {
    const waiting = await this.store.waitingByCategory();
    return this.all.map((c) => ({ slug: c.slug, name: c.name, waiting: waiting.get(c.slug) ?? 0 }));
  }
}
