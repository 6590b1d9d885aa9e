import { runOnSharedServices } from './scale-suites.js';

// Every http-*.test.ts suite again, on Redis + PostgreSQL.
runOnSharedServices('http');
