import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { Database } from './schema.js';

type Slot = { arg: string } | { value: unknown };

/**
 * A query built and compiled once, then run with new arguments: for the few reads every join
 * makes (a user's standing, its blocks), where building and compiling the query with Kysely
 * costs more than the database's answer. The first run builds it with a marker in place of
 * each argument and notes where each marker landed among the parameters, so the query reads
 * exactly as written, in either dialect.
 */
export class PreparedQuery<Args extends Record<string, string>, Row> {
  private compiled: { sql: string; slots: Slot[] } | null = null;

  /** `build` makes the query from a database (or transaction) and the arguments. */
  constructor(private readonly build: (db: Kysely<Database>, args: Args) => Compilable<Row>) {}

  /** Runs on `db`, which must speak the dialect of the first run's (one instance serves one database). */
  async execute(db: Kysely<Database>, args: Args): Promise<Row[]> {
    const compiled = (this.compiled ??= this.compile(db, Object.keys(args)));
    const parameters = compiled.slots.map((slot) => ('arg' in slot ? args[slot.arg] : slot.value));
    const result = await db.executeQuery<Row>(CompiledQuery.raw(compiled.sql, parameters));
    return result.rows;
  }

  private compile(db: Kysely<Database>, names: string[]): { sql: string; slots: Slot[] } {
    const markers = Object.fromEntries(names.map((name) => [name, `\u0000prepared:${name}\u0000`])) as Args;
    const query = this.build(db, markers).compile();
    const byMarker = new Map(names.map((name) => [markers[name], name]));
    const slots = query.parameters.map((value): Slot => {
      const name = typeof value === 'string' ? byMarker.get(value) : undefined;
      return name === undefined ? { value } : { arg: name };
    });
    // An argument used in a way that is not a plain parameter (inlined, transformed) would be lost.
    for (const name of names) {
      if (!slots.some((slot) => 'arg' in slot && slot.arg === name))
        throw new Error(`prepared query: argument ${name} is not a parameter`);
    }
    return { sql: query.sql, slots };
  }
}
