# syntax=docker/dockerfile:1
# The Small Talk server, one process per container (docs/deploy.md). Build from the repository
# root: `docker build -t small-talk .` The app's web build is not included: serve it from a CDN,
# or build it into apps/mobile/dist first and drop that line from .dockerignore.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is rebuilt only when they change. Every workspace's
# package.json must be there for `npm ci` to accept the lock file; only the server's are installed.
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/client/package.json packages/client/
COPY server/package.json server/
COPY apps/mobile/package.json apps/mobile/
RUN npm ci --no-audit --no-fund --include-workspace-root --workspace server --workspace packages/protocol
COPY packages/protocol packages/protocol
COPY server server
RUN npx tsc -b packages/protocol server

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/client/package.json packages/client/
COPY server/package.json server/
COPY apps/mobile/package.json apps/mobile/
# Runtime dependencies only; better-sqlite3 and argon2 come as prebuilt binaries for this image.
RUN npm ci --omit=dev --no-audit --no-fund --workspace server --workspace packages/protocol \
  && npm cache clean --force \
  && mkdir -p /data && chown node:node /data
COPY --from=build /app/packages/protocol/dist packages/protocol/dist
COPY --from=build /app/server/dist server/dist
# The community rules (RULES_FILE): mount your own over it to change them.
COPY server/rules.md server/rules.md
# `npm run admin -- set-role <email> admin` makes the first admin (docs/deploy.md).
COPY scripts/admin.sh scripts/admin.sh
USER node
# Every setting is an environment variable (README, "Configuration"); these suit a container.
ENV HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
EXPOSE 3000
# The server drains on SIGTERM: /healthz turns 503, sockets close with 1012, users resume on the
# other replicas. Give it SHUTDOWN_GRACE_MS (10 s) plus a little: stop_grace_period in compose.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=2s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# Exec form: node is PID 1 and gets SIGTERM itself, with no shell in between to swallow it.
# V8's young and old generations sized for a relay (scripts/start.sh says why).
CMD ["node", "--max-semi-space-size=32", "--heap-growing-percent=400", "server/dist/main.js"]
