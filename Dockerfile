# The vidgate image: the CLI, the workers and the local Kling server.
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY workers ./workers
COPY bench ./bench
RUN npm ci --no-audit --no-fund && npm prune --omit=dev
COPY bin ./bin
COPY policies ./policies
COPY examples ./examples
ENV NODE_ENV=production
ENTRYPOINT ["node", "bin/vidgate.js"]
CMD ["--help"]
