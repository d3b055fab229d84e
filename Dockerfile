# syntax=docker/dockerfile:1
# shardgate's container image: the proxy (the default command) or the built-in
# node, on Node.js 20 (Alpine). Two stages: `build` compiles the TypeScript and
# keeps only the production dependencies; the runtime stage holds dist/, bin/,
# those node_modules and package.json, and runs as the unprivileged `node` user.
# The entry point is exec form, so node is PID 1 and gets SIGTERM itself (the
# proxy drains and exits 0). Config: mount a file at /etc/shardgate/proxy.yaml
# (a ConfigMap in Kubernetes; the proxy reloads it when the mount changes).
# How to build and run it, and what our CI checks of it: docs/deploy.md.

FROM node:20-alpine AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the build) needs src/, copied after this layer so
# a source change does not reinstall the dependencies.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-alpine AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# The files stay root's (read-only to the process); the `node` user (uid 1000) owns nothing it could rewrite.
USER node
# 22121: the proxy listener of the mounted config; 22222: nutcracker stats; 9100: the admin API (/healthz, /readyz, /metrics).
EXPOSE 22121 22222 9100
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9100/healthz',{signal:AbortSignal.timeout(2000)}).then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/shardgate.js"]
CMD ["proxy", "-c", "/etc/shardgate/proxy.yaml", "-s", "22222", "--admin", "0.0.0.0:9100"]
