# syntax=docker/dockerfile:1
# The operator image: compiled JavaScript and production dependencies on the official Node 24 image, run as a
# non-root user. test/integration/packaging/dockerfile.test.ts performs these steps without a container engine.

# Build: the full dependency set compiles src/ to dist/ (tsconfig.build.json).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Run: production dependencies and dist/ only; no compiler, no tests, no sources.
FROM node:24-bookworm-slim AS run
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
# A numeric uid (the distroless "nonroot" one) lets Kubernetes verify runAsNonRoot without /etc/passwd.
USER 65532:65532
EXPOSE 8080
# Exec form: node is PID 1 and receives SIGTERM itself; the operator stops cleanly on it.
ENTRYPOINT ["node", "dist/main.js"]
