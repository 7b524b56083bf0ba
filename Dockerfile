# The hubsync worker image (docker-compose.yml service "worker"), built in two stages (README "Production build"):
#   build    every dependency from the committed lock file (`npm ci`), then `npm run build`: the TypeScript
#            compiled to JavaScript in dist/, the SQL migrations beside it and the workflow bundle, built once;
#   runtime  production dependencies only (`npm ci --omit=dev`) and dist/, run by plain node as the
#            unprivileged user `node`: no TypeScript loader, no bundling at start-up.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY activities ./activities
COPY client ./client
COPY db ./db
COPY kernel ./kernel
COPY local ./local
COPY sandbox ./sandbox
COPY workers ./workers
COPY workflows ./workflows
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
# /metrics, /healthz and /readyz of the worker (HUBSYNC_METRICS_PORT).
EXPOSE 9464
# Healthy once the worker is ready (/readyz answers 200); the slim image has no curl, node has fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HUBSYNC_METRICS_PORT || 9464) + '/readyz', { signal: AbortSignal.timeout(4000) }).then((res) => process.exit(res.status === 200 ? 0 : 1), () => process.exit(1))"]
# Applies pending migrations, registers search attributes, loads dist/workflow-bundle.js, then polls the "hubsync" task queue.
CMD ["node", "dist/client/main.js", "worker"]
