# shardgate: the proxy (default) or the built-in node, on Node.js 20.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json proxy.yaml ./
COPY bin ./bin
USER node
EXPOSE 22121 22222
ENTRYPOINT ["node", "bin/shardgate.js"]
CMD ["proxy", "-c", "/etc/shardgate/proxy.yaml", "-s", "22222"]
