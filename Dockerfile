# One image for the worker and the API: `node packages/worker/dist/main.js`
# or `node packages/api/dist/main.js` (see deploy/).
# The steps below are the ones the README's deployment section runs by hand:
# build with tsc, then `pnpm deploy --prod` a self-contained copy per service.
FROM node:20-bookworm-slim AS build
WORKDIR /src
RUN npm install -g pnpm@10.34.8 --no-fund --no-audit
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm build \
 && pnpm --filter @buildfleet/worker deploy --prod --legacy /out/packages/worker \
 && pnpm --filter @buildfleet/api deploy --prod --legacy /out/packages/api

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out/ /app/
USER 10001
# The Deployment chooses the service through args.
CMD ["node", "packages/worker/dist/main.js"]
