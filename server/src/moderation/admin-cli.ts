/**
 * `npm run admin -- set-role <email> <role>`: how the first admin is made on a new deployment,
 * and a way in when no admin is left. It opens the database the server would (DATA_DIR's SQLite
 * file, or DATABASE_URL), so run it with the server's environment. Exit codes: 0 done, 1 refused
 * (no such member, a guest), 2 wrong usage.
 */
import { Role } from '@small-talk/protocol';
import { loadConfig } from '../config.js';
import { AppError } from '../errors.js';
import { openDb } from '../storage/db.js';
import { Roles } from './roles.js';

/** Who the audit log says did it: the operator at the server's shell, not a user. */
const CLI_ACTOR = { id: 'cli', displayName: 'npm run admin' };

const USAGE = `usage: npm run admin -- set-role <email> <role>
  role: ${Role.options.join(' | ')}
  The database is the server's: DATA_DIR (default ./data) or DATABASE_URL.`;

async function main(args: string[]): Promise<number> {
  const [command, email, role] = args;
  if (command !== 'set-role' || !email || args.length !== 3) {
    console.error(USAGE);
    return 2;
  }
  const parsedRole = Role.safeParse(role);
  if (!parsedRole.success) {
    console.error(`unknown role "${role}"\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const db = await openDb({ dataDir: config.dataDir, databaseUrl: config.DATABASE_URL });
  try {
    const { user, from } = await new Roles(db.kysely).setByEmail(email, parsedRole.data, CLI_ACTOR);
    const where = config.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : config.dataDir;
    const change = from === user.role ? `was already ${user.role}` : `is now ${user.role} (was ${from})`;
    console.log(`set-role: ${email} (${user.displayName}, id ${user.id}) ${change}, in ${where}`);
    return 0;
  } catch (error) {
    if (error instanceof AppError) {
      console.error(`set-role: ${error.message}; nothing changed`);
      return 1;
    }
    throw error;
  } finally {
    await db.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
