# syntax=docker/dockerfile:1
# Virtual Care Service: build with the dev tools, run with production dependencies only.
#   docker build -t virtual-care-service .
# Node 24 is the LTS line; the suite runs on it in CI (.ci/run), as well as on Node 20.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency of this service needs an install script.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json
# The patient page and the clinician console (web/dist), served by the service itself.
COPY web ./web
COPY scripts/build-web.mjs ./scripts/
RUN node scripts/build-web.mjs

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. The embedded FHIR server (Medplum) is a devDependency: a
# container needs FHIR_BASE_URL (see docs/operations.md).
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY migrations ./migrations
# Served as GET /asyncapi.yaml, and the source of the events' data schemas (GET /schemas/events/{type}).
COPY docs/asyncapi.yaml ./docs/asyncapi.yaml
# DATA_DIR: only used for development keys when their settings are absent; writable for uid 1000.
RUN mkdir -p /app/data && chown 1000:1000 /app/data
# The image's "node" user, by number so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
ENV PORT=8080 HOST=0.0.0.0 DATA_DIR=/app/data
EXPOSE 8080
# Liveness only (the process answers); readiness (/readyz) is the orchestrator's business.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Throughput flags (docs/decisions.md, Performance): young generation and heap growth sized for the
# request rate. `npm start`, the embedded quick start, uses --optimize-for-size instead.
# exec form: node is PID 1's only process and receives SIGTERM itself.
CMD ["node", "--max-semi-space-size=16", "--heap-growing-percent=100", "dist/main.js"]
