#!/bin/sh
# `npm start`: set up, then become the server process (exec), so signals from npm or a
# supervisor reach it directly and SIGTERM drains it.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup.sh
exec node server/dist/main.js
