# portcullis as a container image: the pinned opa and the compiled CLI on a
# distroless Node 20 base, running as a non-root user with no shell.
#
#   docker build -t portcullis .
#   docker run --rm -p 8480:8480 --read-only --tmpfs /tmp -v portcullis-state:/var/lib/portcullis portcullis
#
# Mount points (docs/operations.md; the Helm chart in deploy/helm/portcullis uses them):
#   /usr/share/portcullis/bundles  bundles built into the image from bundles/*.yaml (read-only)
#   /srv/portcullis/bundles        a bundle folder mounted from outside (ConfigMap or volume), when not baked in
#   /var/lib/portcullis            state: the SQLite store and the build cache (a volume; never over the bundles)
#   /etc/portcullis/config         config.yaml and the policy settings (ConfigMap)
#   /etc/portcullis/tls            tls.crt, tls.key, ca.crt, client-ca.crt (Secret)
#   /etc/portcullis/keys           bundle verification and discovery signing keys (Secret)
#   /tmp                           scratch space (emptyDir), the root filesystem being read-only
#
# Every base is pinned by digest; the tag beside it says what to re-resolve
# when updating. No HEALTHCHECK: orchestrators probe GET /health and GET /ready.

# The opa release pinned in tools/opa/go.mod, built from its Go module as
# scripts/setup-tools.mjs does (the opa_wasm tag gives agents their Wasm
# runtime). CGO is off: the Wasm engine is pure Go, and a static binary needs
# nothing from the runtime image.
FROM golang:1.26-bookworm@sha256:18aedc16aa19b3fd7ded7245fc14b109e054d65d22ed53c355c899582bbb2113 AS opa
WORKDIR /src/tools/opa
COPY tools/opa/go.mod tools/opa/go.sum tools/opa/tools.go ./
ENV CGO_ENABLED=0
RUN ["go", "build", "-trimpath", "-tags", "opa_wasm", "-o", "/out/opa", "github.com/open-policy-agent/opa"]

# The CLI compiled to dist/, its production dependencies (better-sqlite3's
# native addon built for this Node), and the repository's bundles built with
# the pinned opa.
FROM node:20-bookworm@sha256:8f693eaa7e0a8e71560c9a82b55fd54c2ae920a2ba5d2cde28bac7d1c01c9ba5 AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay off ("prepare" would look for Go); the one native addon is built on its own.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/precompile-validators.mjs scripts/
# tools/opa pins the opa version and its capabilities; it also marks the package root.
# gator's and Regal's go.mod name their pins for `portcullis doctor` and `setup`.
COPY tools tools
COPY schemas schemas
COPY src src
RUN npm run build
COPY --from=opa /out/opa /usr/local/bin/opa
COPY bin bin
COPY gatekeeper/rego gatekeeper/rego
COPY policies policies
COPY bundles bundles
COPY examples/policy examples/policy
ENV OPA_BIN=/usr/local/bin/opa
RUN node bin/portcullis.js build --out /out/bundles && node bin/portcullis.js doctor && mkdir -p /out/state
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM gcr.io/distroless/nodejs20-debian12:nonroot@sha256:2cd820156cf039c8b54ae2d2a97e424b6729070714de8707a6b79f20d56f6a9a
LABEL org.opencontainers.image.title="portcullis" \
      org.opencontainers.image.description="Container-image policy as code: OPA bundles, admission and Gatekeeper from one Rego policy" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist/src dist/src
COPY --from=build /app/dist/validators dist/validators
COPY --from=build /app/bin bin
COPY --from=build /app/schemas schemas
COPY --from=build /app/tools/opa/go.mod /app/tools/opa/capabilities.json tools/opa/
COPY --from=build /app/tools/gator/go.mod tools/gator/
COPY --from=build /app/tools/regal/go.mod tools/regal/
COPY --from=build /app/gatekeeper/rego gatekeeper/rego
COPY --from=build /app/policies policies
COPY --from=build /app/bundles bundles
COPY --from=build /app/examples/policy examples/policy
COPY --from=opa /out/opa /usr/local/bin/opa
COPY --from=build /out/bundles /usr/share/portcullis/bundles
COPY --from=build --chown=65532:65532 /out/state /var/lib/portcullis
# MALLOC_ARENA_MAX: glibc's allocator would keep what large requests freed in
# up to 8 arenas per core, one per thread; two let it go (docs/operations.md#memory).
ENV NODE_ENV=production \
    OPA_BIN=/usr/local/bin/opa \
    PORTCULLIS_STATE_DIR=/var/lib/portcullis \
    MALLOC_ARENA_MAX=2
USER 65532:65532
EXPOSE 8480 8443
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/portcullis.js"]
CMD ["serve", "--listen", "0.0.0.0:8480", "--dir", "/usr/share/portcullis/bundles"]
