# syntax=docker/dockerfile:1
#
# One image for every Ratchet process. Services run their TypeScript entry point directly
# through @swc-node/register (no build step), so the full dependency tree is installed:
# the runtime compiler (@swc-node/register, @swc/core) lives in devDependencies.
#
#   docker build -t ghcr.io/ratchet-dev/ratchet:0.1.0 .
#   docker run --rm ghcr.io/ratchet-dev/ratchet:0.1.0                              # embedded shape
#   docker run --rm ghcr.io/ratchet-dev/ratchet:0.1.0 apps/collector/src/main.ts   # one service
#
# The process compiles modules on start and caches them under $TMPDIR (/tmp): with a
# read-only root filesystem, mount a writable volume there (k8s/base does, as an emptyDir).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- dependencies ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no install script is needed at run time (@swc/core ships its native
# binding as an optional dependency); the check below fails the build if that ever changes.
# GeoLite2 (a dev dependency, for `ratchet eval`) stays out of the image: its licence asks
# redistributors for attribution; mount a City database and set RATCHET_GEOIP_CITY_DB instead.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/@ip-location-db \
 && node -e "require('@swc/core').transformSync('const a: number = 1', { jsc: { parser: { syntax: 'typescript' } } })"

# ---- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# RATCHET_HOST: the embedded shape (default CMD) listens on all interfaces inside a container
# so that `docker run -p 8080:8080` reaches it; the services get *_HOST from compose / k8s.
# A 64 MiB young generation: the scorer's batches allocate plan, answer and signal objects that
# die within the batch; with V8's default (16 MiB) they are scavenged and promoted too early
# (`npm run bench -- --only detection`: about 11 % more events per second).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=64 \
    SWC_NODE_PROJECT=/app/tsconfig.json \
    RATCHET_HOST=0.0.0.0
WORKDIR /app

COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY --chown=root:root libs ./libs
COPY --chown=root:root apps ./apps

# Files stay owned by root and read-only to the service; it runs as the image's unprivileged
# `node` user, by number so Kubernetes can verify runAsNonRoot.
USER 1000:1000

EXPOSE 8080 8081 8082 8083
ENTRYPOINT ["node", "-r", "@swc-node/register"]
CMD ["apps/ratchet/src/main.ts"]
