# Offline stand-in for node:<major>-bookworm-slim (built by scripts/images.ts --offline):
# the bookworm rootfs plus one node binary at the path the official image uses.
ARG FROM_IMAGE=hotswap/base-debian:bookworm
FROM ${FROM_IMAGE}
ARG NODE_VERSION
ENV NODE_VERSION=${NODE_VERSION}
COPY node /usr/local/bin/node
RUN node --version
CMD ["node"]
