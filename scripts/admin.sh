#!/bin/sh
# `npm run admin -- set-role <email> <role>`: the operator's command-line tool, run against the
# server's database (DATA_DIR or DATABASE_URL, as the server would). In a checkout it first sets
# up like `npm start` (a fresh clone has no build yet; a pulled one may have an old one), with
# that chatter on stderr; in the container image, which has the build and no compiler, it runs.
set -e
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ -x node_modules/.bin/tsc ]; then
  sh scripts/setup.sh >&2
fi
exec node server/dist/moderation/admin-cli.js "$@"
