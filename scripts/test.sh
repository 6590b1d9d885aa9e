#!/bin/sh
# `npm test`: every suite. Sets up like `npm start`, type-checks the tests, then runs them all
# with Node's test runner, whose summary closes the output.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup.sh
# redis-server and PostgreSQL for the scale-out suites (installed when missing and root).
sh scripts/system-deps.sh
npx tsc -p server/test --noEmit
npx tsc -p packages/client/test --noEmit
exec node --import tsx --test --test-timeout=120000 packages/client/test/*.test.ts server/test/*.test.ts
