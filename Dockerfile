# Xueliang API image. The service runs its TypeScript sources through tsx (a runtime dependency), so there is
# no compile step: the deps stage installs production dependencies only, the final stage adds the sources.

# ---- deps: production node_modules (argon2 ships prebuilt binaries; the toolchain is here for any that don't)
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force

# ---- runtime
FROM node:20-bookworm-slim AS runtime
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
# Code stays owned by root and read-only to the service; it runs as the image's unprivileged `node` user.
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.XUELIANG_HTTP_PORT || 8080) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/main.ts"]
