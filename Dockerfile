# One image for the worker and the API: the Deployment's args choose
# `node packages/worker/dist/main.js` or `node packages/api/dist/main.js`
# (see deploy/base). Two stages: build with the full toolchain, then copy only
# the services' build output and production dependencies onto a clean runtime
# base. No HEALTHCHECK: Kubernetes probes /healthz and /readyz.
#
# The base is pinned by digest (the multi-architecture index of
# node:20-bookworm-slim); the tag is there for people, the digest is what is
# pulled. To move to a newer base, replace both and rebuild.
ARG NODE_IMAGE=node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0

FROM ${NODE_IMAGE} AS build
WORKDIR /src
RUN npm install -g pnpm@10.34.8 --no-fund --no-audit
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build
# The services and the workspace packages they depend on at run time
# (--filter-prod does not follow devDependencies), with their production
# dependencies exactly as the lockfile pins them, laid out under /out as the
# workspace is: packages/<name>/{package.json,dist,node_modules} and the
# shared node_modules/.pnpm their symlinks point into.
RUN rm -rf node_modules packages/*/node_modules \
 && pnpm install --prod --frozen-lockfile --filter-prod "@buildfleet/worker..." --filter-prod "@buildfleet/api..." \
 && mkdir -p /out/packages \
 && cp -a node_modules /out/ \
 && for dir in $(pnpm ls --filter-prod "@buildfleet/worker..." --filter-prod "@buildfleet/api..." --depth -1 --parseable); do \
      name=$(basename "$dir") \
      && mkdir -p "/out/packages/$name" \
      && cp -a "$dir/package.json" "$dir/dist" "/out/packages/$name/" \
      && if [ -d "$dir/node_modules" ]; then cp -a "$dir/node_modules" "/out/packages/$name/"; fi; \
    done \
 && mkdir -p /out/packages/web \
 && cp -a packages/web/dist /out/packages/web/

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the service user: with
# readOnlyRootFilesystem the pods cannot change their own code either way.
COPY --from=build /out/ /app/
# A numeric user, so the kubelet can check runAsNonRoot without /etc/passwd.
USER 10001:10001
# The worker's V8 heap flags, as deploy/base/worker.yaml passes them (see there).
CMD ["node", "--max-old-space-size=512", "--max-semi-space-size=8", "packages/worker/dist/main.js"]
