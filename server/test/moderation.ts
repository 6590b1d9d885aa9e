/**
 * Staff for moderation tests: gives a member a role the way `npm run admin -- set-role` does
 * (moderation/roles.ts, with its audit row), straight on the server's own database.
 */
import type { Role } from '@small-talk/protocol';
import { openDb } from '../src/storage/db.js';
import { Roles } from '../src/moderation/roles.js';
import type { TestServer } from './harness.js';

/** The audit log's actor for roles given by a test, as the CLI's is `npm run admin`. */
const TEST_ACTOR = { id: 'cli', displayName: 'npm run admin' };

/**
 * Gives the member with `email` the role. `target` is an in-process server (harness.startServer)
 * or a cluster (cluster.startCluster: its `env.DATABASE_URL`). Returns the user's id.
 */
export async function makeRole(
  target: TestServer | { env: Record<string, string> },
  email: string,
  role: Role,
): Promise<string> {
  if ('server' in target) return (await new Roles(target.server.db.kysely).setByEmail(email, role, TEST_ACTOR)).user.id;
  const db = await openDb({ dataDir: '', databaseUrl: target.env.DATABASE_URL });
  try {
    return (await new Roles(db.kysely).setByEmail(email, role, TEST_ACTOR)).user.id;
  } finally {
    await db.close();
  }
}
