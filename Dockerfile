# A quotamesh node. Mount the config, the credential files and a state directory:
#   docker run -p 8787:8787 \
#     -v ~/.config/quotamesh/quotamesh.json:/config/quotamesh.json:ro \
#     -v ~/.claude:/home/node/.claude -v quotamesh-state:/home/node/.local/state/quotamesh \
#     --env-file ~/.config/quotamesh/quotamesh.env quotamesh
# The credential directory is mounted read-write: token refreshes are written back atomically.
# Set "listen": "0.0.0.0:8787" in the config so the port is reachable from outside the container.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY tsconfig.json ./
USER node
ENV QUOTAMESH_CONFIG=/config/quotamesh.json
EXPOSE 8787
# SIGTERM (docker stop) drains in-flight requests for up to 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/quotamesh.js"]
CMD ["serve"]
