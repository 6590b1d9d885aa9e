import {
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type TransactionSettings,
} from 'kysely';

type CompileQuery = QueryCompiler['compileQuery'];

/**
 * Kysely's SQLite driver, with callers waiting for its one connection in a queue. Kysely's own
 * lock wakes every waiter each time the connection is freed, and all but one go back to sleep:
 * with n queries waiting that is n² wake-ups, and n is large exactly when it hurts (2,000 users
 * joining at once each read their standing: 2,000 reads took 1.2–1.6 s together against 0.2 s
 * one after another). Here each release wakes only the next caller, in the order they came, so
 * the inner lock is never contended.
 */
export class QueuedSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    return new QueuedDriver(super.createDriver());
  }
}

class QueuedDriver implements Driver {
  private busy = false;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    // Handed over by releaseConnection with `busy` still set, so nobody can slip in between.
    if (this.busy) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy = true;
    return this.inner.acquireConnection();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.inner.releaseConnection(connection);
    const next = this.waiting.shift();
    if (next) next();
    else this.busy = false;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  savepoint(connection: DatabaseConnection, name: string, compile: CompileQuery): Promise<void> {
    return innerStep(this.inner.savepoint, this.inner, connection, name, compile);
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: CompileQuery): Promise<void> {
    return innerStep(this.inner.rollbackToSavepoint, this.inner, connection, name, compile);
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compile: CompileQuery): Promise<void> {
    return innerStep(this.inner.releaseSavepoint, this.inner, connection, name, compile);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** A savepoint step of the inner driver, which Kysely's SQLite driver has. */
function innerStep(
  step: Driver['savepoint'],
  inner: Driver,
  connection: DatabaseConnection,
  name: string,
  compile: CompileQuery,
): Promise<void> {
  if (!step) throw new Error('the SQLite driver has no savepoints');
  return step.call(inner, connection, name, compile);
}
