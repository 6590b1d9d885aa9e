import { runOnSharedServices } from './scale-suites.js';

// Every ws-*.test.ts suite again, on Redis + PostgreSQL.
runOnSharedServices('ws');
