# Offline stand-in for python:<minor>-slim (built by scripts/images.ts --offline): the bookworm
# rootfs plus this host's Python installation under /usr/local, as in the official image, with the
# shared libraries its extension modules need. ldconfig makes /usr/local/lib's libpython found.
ARG FROM_IMAGE=hotswap/base-debian:bookworm
FROM ${FROM_IMAGE}
ARG PYTHON_VERSION
ENV PYTHON_VERSION=${PYTHON_VERSION} LANG=C.UTF-8
COPY local/ /usr/local/
RUN ldconfig \
 && python3 -c "import ssl, sqlite3, ctypes, zlib, bz2, lzma, uuid, json, decimal, hashlib, socket, asyncio; print('python', __import__('sys').version.split()[0])"
CMD ["python3"]
