# Xueliang image: the API and the workers (workers/*.ts) run from it, with different commands. The service runs
# its TypeScript sources through tsx (a runtime dependency), so only the web console is compiled:
#   build   — every dependency, then `npm run build:console` (vite) into dist/console
#   deps    — production node_modules only
#   base    — Node, ffmpeg, the sources, the production node_modules and the built console; runs as `node`
#   demo    — base plus sim/: the simulated county (`docker compose --profile sim`), never in production
#   runtime — the default target: base as it is

# ---- build: the web console
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build:console

# ---- deps: production node_modules (argon2 ships prebuilt binaries; the toolchain is here for any that don't)
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force

# ---- base: what runs
FROM node:20-bookworm-slim AS base
# ffmpeg: picture checks and the relay; python3-minimal: the watchdog that kills ffmpeg when its parent dies;
# tini: signals reach node, zombies are reaped.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ffmpeg python3-minimal tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    XUELIANG_HTTP_HOST=0.0.0.0 \
    XUELIANG_HTTP_PORT=8080
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json package-lock.json tsconfig.json ./
COPY --chown=root:root src ./src
COPY --chown=root:root workers ./workers
COPY --chown=root:root camera-profiles ./camera-profiles
COPY --from=build --chown=root:root /app/dist/console ./dist/console
# Code stays owned by root and read-only to the service; it runs as the image's unprivileged `node` user.
# Scratch files (snapshots on their way to Postgres, the demo's clips) go to /tmp.
USER node
EXPOSE 8080
# The API's readiness (Postgres and Redis answer). Compose replaces it for the workers with their own port.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.XUELIANG_HTTP_PORT || 8080) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/main.ts"]

# ---- demo: the simulated county and the service watching it, in one process (sim/demo.ts)
FROM base AS demo
COPY --chown=root:root sim ./sim
# the demo seeds its database with the well-known development credential key, which production refuses
ENV NODE_ENV=development
CMD ["node", "--import", "tsx", "sim/demo.ts"]

# ---- runtime: the default target (API: this command; workers: `node --import tsx workers/<name>.ts`)
FROM base AS runtime
