# otel-replayd image: `docker build -t otel-replayd .` from the repository root.
# Runs the replay daemon by default; `docker run otel-replayd sink --grpc 0.0.0.0:4317`
# runs the built-in OTLP sink from the same image.

# Node 24, the Active LTS line (supported until April 2028); Node 20 reached end of life
# in April 2026. Both stages use the same line, so the compiled code and the production
# dependencies are installed for the Node that runs them.

# --- build: compile TypeScript to dist/ ---------------------------------------
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci
COPY src ./src
RUN npm run build

# --- runtime: production dependencies and the compiled code only -------------
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY proto ./proto
COPY templates ./templates
COPY config ./config
COPY web ./web
COPY deploy/config.yaml /etc/otel-replayd/config.yaml
# The bin is the compiled CLI itself (it starts with #!/usr/bin/env node), so the
# daemon is PID 1 and receives `docker kill -s HUP` (reload) and SIGTERM (drain) directly.
RUN chmod 755 dist/src/cli/main.js && ln -s /app/dist/src/cli/main.js /usr/local/bin/otel-replayd
# Everything above stays root-owned and read-only to the daemon. The one path it writes
# (reports, generated templates: relative paths resolve here) belongs to its user, so it
# also works under a read-only root filesystem with an emptyDir mounted on it.
# `node` (uid 1000) comes with the base image.
RUN mkdir -p /var/lib/otel-replayd && chown node:node /var/lib/otel-replayd
WORKDIR /var/lib/otel-replayd
# Stream mode's frame files (templates larger than memory) go to the writable path too.
ENV XDG_CACHE_HOME=/var/lib/otel-replayd/.cache
USER node
# 8890: /metrics and /healthz (not 8888, the Collector's own metrics port); 4317/4318: OTLP when running `sink`.
EXPOSE 8890 4317 4318
ENTRYPOINT ["otel-replayd"]
CMD ["--config", "/etc/otel-replayd/config.yaml"]
