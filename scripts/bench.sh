#!/bin/sh
# npm run bench: builds the server, then races it against a bare relay (server/bench/).
set -e
cd "$(dirname "$0")/.."
npx tsc -b packages/protocol server
exec node --import tsx server/bench/run.ts "$@"
