# otel-replayd image: `docker build -t otel-replayd .` from the repository root.
# Runs the replay daemon by default; `docker run otel-replayd sink --grpc 0.0.0.0:4317`
# runs the built-in OTLP sink from the same image.

# --- build: compile TypeScript to dist/ ---------------------------------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci
COPY src ./src
RUN npm run build

# --- runtime: production dependencies and the compiled code only -------------
FROM node:20-slim
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
# `node` (uid 1000) comes with the base image.
USER node
# 8888: /metrics and /healthz; 4317/4318: OTLP when running `sink`.
EXPOSE 8888 4317 4318
ENTRYPOINT ["otel-replayd"]
CMD ["--config", "/etc/otel-replayd/config.yaml"]
