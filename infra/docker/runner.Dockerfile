# HotSwap runner agent: `hotswap runner` on RUNNER_LISTEN (default 0.0.0.0:8081). It drives a Docker
# engine (the host's socket, or a docker:dind sidecar on Kubernetes) to run function containers.
#
#   docker build -f infra/docker/runner.Dockerfile --build-arg BASE_IMAGE=hotswap/base-node:20 -t hotswap/runner:dev .
#
# Built offline exactly like control-plane.Dockerfile (see there): the host's node_modules,
# pruned to production by a lockfile walk; exec-form RUNs only.
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY node_modules ./node_modules
COPY infra/docker/prune-deps.mjs /opt/hotswap/prune-deps.mjs
RUN ["node", "/opt/hotswap/prune-deps.mjs", "/app", "--exclude=@pulumi/"]
RUN ["node", "-e", "require('node:fs').mkdirSync('/opt/hotswap/state/tmp', { recursive: true })"]

FROM ${BASE_IMAGE}
ENV NODE_ENV=production \
    RUNNER_LISTEN=0.0.0.0:8081 \
    RUNNER_BACKEND=docker \
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
# Non-root; deployments add the Docker socket's group (docker: group_add, Kubernetes: dind --group).
USER 10001:10001
EXPOSE 8081
# With HOTSWAP_RUNNER_TLS_CERT the runner serves HTTPS; this probe of its own loopback port skips the
# certificate check (the certificate names the address the runner advertises, not 127.0.0.1).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const p = (process.env.RUNNER_LISTEN || '0.0.0.0:8081').split(':').pop(); const tls = Boolean(process.env.HOTSWAP_RUNNER_TLS_CERT); require(tls ? 'node:https' : 'node:http').get({ host: '127.0.0.1', port: p, path: '/health', rejectUnauthorized: false }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]
ENTRYPOINT ["node", "--import", "tsx", "cli/main.ts"]
CMD ["runner"]
