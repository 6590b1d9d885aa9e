#!/bin/sh
# `npm run bench`: set up and build like `npm start`, then race the server against a bare relay
# (server/bench/run.ts). Arguments go to the bench: `npm run bench -- --only server`.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup.sh
exec node --import tsx server/bench/run.ts "$@"
