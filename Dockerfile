# One image for the worker and the API: the Deployment's args choose
# `node packages/worker/dist/main.js` or `node packages/api/dist/main.js`
# (see deploy/base). Two stages: build with the full toolchain, then copy a
# self-contained production copy of each service (`pnpm deploy --prod`) onto a
# clean runtime base. No HEALTHCHECK: Kubernetes probes /healthz and /readyz.
#
# The base is pinned by digest (the multi-architecture index of
# node:20-bookworm-slim); the tag is there for people, the digest is what is
# pulled. To move to a newer base, replace both and rebuild.
ARG NODE_IMAGE=node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0

FROM ${NODE_IMAGE} AS build
WORKDIR /src
RUN npm install -g pnpm@10.34.8 --no-fund --no-audit
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm build \
 && pnpm --filter @buildfleet/worker deploy --prod --legacy /out/packages/worker \
 && pnpm --filter @buildfleet/api deploy --prod --legacy /out/packages/api

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the service user: with
# readOnlyRootFilesystem the pods cannot change their own code either way.
COPY --from=build /out/ /app/
# A numeric user, so the kubelet can check runAsNonRoot without /etc/passwd.
USER 10001:10001
CMD ["node", "packages/worker/dist/main.js"]
