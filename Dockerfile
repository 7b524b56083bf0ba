# The hubsync worker image (docker-compose.yml service "worker").
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY activities ./activities
COPY bin ./bin
COPY client ./client
COPY db ./db
COPY kernel ./kernel
COPY local ./local
COPY sandbox ./sandbox
COPY workers ./workers
COPY workflows ./workflows
COPY tsconfig.json ./
USER node
# Applies pending migrations, registers search attributes, then polls the "hubsync" task queue.
CMD ["node", "bin/hubsync.js", "worker"]
