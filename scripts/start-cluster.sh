#!/bin/sh
# `npm run start:cluster -- [N]`: set up like `npm start`, then N processes on consecutive ports
# (scripts/cluster.mjs). exec, so SIGTERM from npm or a supervisor reaches the runner, which
# drains every process.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup.sh
exec node scripts/cluster.mjs "$@"
