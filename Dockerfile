# A quotamesh node, compiled: the first stage bundles dist/ (its dependencies inside it, see
# scripts/build.ts), the second runs it on a slim image as the unprivileged `node` user, with no
# node_modules at all. Build and run:
#   docker build -t quotamesh .
#   docker run -p 8787:8787 \
#     -v ~/.config/quotamesh/quotamesh.json:/config/quotamesh.json:ro \
#     -v ~/.claude:/home/node/.claude -v quotamesh-state:/home/node/.local/state/quotamesh \
#     --env-file ~/.config/quotamesh/quotamesh.env quotamesh
# The credential directory is mounted read-write: token refreshes are written back atomically.
# Set "listen": "0.0.0.0:8787" in the config so the port is reachable from outside the container.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    QUOTAMESH_CONFIG=/config/quotamesh.json \
    QUOTAMESH_HEALTH_URL=http://127.0.0.1:8787/healthz
WORKDIR /app
# package.json says the bundle's .js files are ES modules.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist ./dist
# The state directory is the config's default state_dir for the node user; it is created here so
# a fresh named volume starts owned by that user (Docker copies the ownership into it).
RUN mkdir -p /home/node/.local/state/quotamesh && chown -R node:node /home/node/.local
USER node
VOLUME ["/home/node/.local/state/quotamesh"]
EXPOSE 8787
# The slim image has no curl; node's own fetch asks /healthz (no token needed). Change
# QUOTAMESH_HEALTH_URL with the listen address; with TLS it is https://.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["node", "-e", "fetch(process.env.QUOTAMESH_HEALTH_URL, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) drains in-flight requests for up to 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
