# HotSwap control plane: `hotswap server` (API, router, orchestrator, console) on :8080.
#
#   docker build -f infra/docker/control-plane.Dockerfile -t hotswap/control-plane:dev .
#   docker build -f infra/docker/control-plane.Dockerfile --build-arg BASE_IMAGE=hotswap/base-node:20 -t hotswap/control-plane:dev .
#
# Offline by design: the build never reaches a registry or the network. The `deps` stage copies
# the node_modules already installed in the build context (`npm ci` ran on the host; the root
# .dockerignore keeps it in the context) and prunes it to the production closure by walking
# package-lock.json (infra/docker/prune-deps.mjs). No npm, no shell: every RUN is exec-form
# `node`, so any BASE_IMAGE with Node 20+ on PATH works, including the local hotswap/base-node
# images that `npm run images -- --offline` builds. Native addons (cpu-features, ssh2's optional
# crypto) are the host's builds: build on the same OS/arch family as the base (Debian bookworm).
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY node_modules ./node_modules
COPY infra/docker/prune-deps.mjs /opt/hotswap/prune-deps.mjs
RUN ["node", "/opt/hotswap/prune-deps.mjs", "/app", "--exclude=@pulumi/"]
# The data dir (and tsx's cache under TMPDIR), owned by the runtime user in the final stage.
RUN ["node", "-e", "require('node:fs').mkdirSync('/opt/hotswap/state/tmp', { recursive: true })"]

FROM ${BASE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    HOTSWAP_DATA_DIR=/var/lib/hotswap \
    TMPDIR=/var/lib/hotswap/tmp
WORKDIR /app
COPY --from=deps --chown=10001:10001 /opt/hotswap/state /var/lib/hotswap
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY protocol ./protocol
COPY shared ./shared
COPY platform ./platform
COPY runner ./runner
COPY runtimes ./runtimes
COPY cli ./cli
COPY client ./client
# The web console bundle (built by npm ci, scripts/build-console.ts) that the control plane serves at /.
COPY console/dist ./console/dist
# Numeric uid/gid: works whether or not the base image has a passwd entry for it.
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--import", "tsx", "cli/main.ts"]
CMD ["server"]
