# syntax=docker/dockerfile:1
# The operator image: compiled JavaScript and production dependencies on the official Node 24 image, run as a
# non-root user. test/integration/packaging/dockerfile.test.ts performs these steps without a container engine.
# The base is pinned by the digest of the official image's multi-platform index (Node 24.18.0 on Debian 12), so a
# rebuild gets the same bytes; raise it deliberately with `docker buildx imagetools inspect node:24-bookworm-slim`.
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# Build: the full dependency set type-checks src/ and bundles the operator with its dependencies into dist/
# (build/bundle.ts).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY build ./build
RUN npm run build

# Run: the bundle in dist/ and package.json (it marks dist/*.js as ES modules) only; no node_modules, no compiler,
# no tests, no sources.
FROM ${NODE_IMAGE} AS run
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=build /app/dist ./dist
# A numeric uid (the distroless "nonroot" one) lets Kubernetes verify runAsNonRoot without /etc/passwd.
USER 65532:65532
EXPOSE 8080
# Exec form: node is PID 1 and receives SIGTERM itself; the operator stops cleanly on it.
ENTRYPOINT ["node", "dist/main.js"]
