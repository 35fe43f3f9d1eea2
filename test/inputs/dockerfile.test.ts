import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { bytes, normalizeWith } from './synthetic.js';

function dockerfile(text: string) {
  const facts = normalizeWith({ dockerfile: { path: 'Dockerfile', bytes: bytes(text) } }).dockerfile;
  assert.ok(facts);
  return facts;
}

const multiStage = `# syntax=docker/dockerfile:1
ARG GO_VERSION=1.22
FROM --platform=$BUILDPLATFORM golang:\${GO_VERSION}-alpine AS build
ARG NPM_TOKEN
ENV GOFLAGS=-mod=vendor CGO_ENABLED=0 \\
    HTTP_PROXY="http://user:hunter2@proxy:3128"
RUN go build -o /out/app ./cmd/app && \\
    curl -fsSL "https://example.com/install.sh?auth=abc123" | sh
FROM build AS test
RUN ["go", "test", "./..."]
FROM gcr.io/distroless/static:nonroot@sha256:${'e'.repeat(64)}
COPY --from=build /out/app /app
COPY .ssh/id_rsa config/.env secrets/server.key /root/
ADD https://example.com/tool.tgz /opt/
ADD local.tar /opt/
ENV LEGACY_KEY some value
EXPOSE 8080/tcp 9000-9002/udp $PORT
USER root
USER 65532:65532
HEALTHCHECK CMD ["/app", "health"]
ENTRYPOINT ["/app"]
`;

describe('Dockerfile facts', () => {
  const facts = dockerfile(multiStage);

  it('lists stages, resolving ARGs in FROM and stage aliases', () => {
    assert.deepEqual(
      facts.stages.map((s) => [s.index, s.name, s.line, s.from, s.base?.name ?? null, s.base_stage]),
      [
        [0, 'build', 3, 'golang:1.22-alpine', 'docker.io/library/golang', null],
        [1, 'test', 9, 'build', 'docker.io/library/golang', 'build'],
        [2, null, 11, `gcr.io/distroless/static:nonroot@sha256:${'e'.repeat(64)}`, 'gcr.io/distroless/static', null],
      ],
    );
    assert.equal(facts.stages[0]?.platform, '$BUILDPLATFORM');
    assert.equal(facts.final_stage, 2);
    assert.equal(facts.base_image?.tag, 'nonroot');
    assert.equal(facts.base_image?.digest, `sha256:${'e'.repeat(64)}`);
  });

  it('keeps every instruction with its 1-based line span', () => {
    const run = facts.instructions.find((i) => i.instruction === 'RUN');
    assert.deepEqual([run?.line, run?.end_line, run?.stage], [7, 8, 0]);
    assert.equal(facts.instructions[0]?.instruction, 'ARG');
    assert.equal(facts.instructions[0]?.stage, -1, 'ARG before the first FROM belongs to no stage');
    const copy = facts.instructions.find((i) => i.instruction === 'COPY');
    assert.deepEqual(copy?.flags, { from: 'build' });
  });

  it('collects RUN, ENV and ARG text for secret rules', () => {
    assert.deepEqual(
      facts.runs.map((r) => [r.line, r.command]),
      [
        [7, 'go build -o /out/app ./cmd/app &&     curl -fsSL "https://example.com/install.sh?auth=abc123" | sh'],
        [10, 'go test ./...'],
      ],
    );
    assert.deepEqual(
      facts.env.map((e) => [e.line, e.name, e.value]),
      [
        [5, 'GOFLAGS', '-mod=vendor'],
        [5, 'CGO_ENABLED', '0'],
        [5, 'HTTP_PROXY', 'http://user:hunter2@proxy:3128'],
        [16, 'LEGACY_KEY', 'some value'],
      ],
    );
    assert.deepEqual(
      facts.args.map((a) => [a.line, a.name, a.value]),
      [
        [2, 'GO_VERSION', '1.22'],
        [4, 'NPM_TOKEN', null],
      ],
    );
  });

  it('finds ADD from URLs and COPY of sensitive files', () => {
    assert.deepEqual(facts.adds_from_url, [{ line: 14, stage: 2, url: 'https://example.com/tool.tgz' }]);
    const sensitive = facts.copies.find((c) => c.line === 13);
    assert.deepEqual(sensitive?.sensitive_sources, ['.ssh/id_rsa', 'config/.env', 'secrets/server.key']);
    assert.equal(facts.copies.find((c) => c.line === 12)?.from, 'build');
    assert.equal(facts.copies.length, 4);
  });

  it('reads EXPOSE ports and ranges, and the last USER of the final stage', () => {
    assert.deepEqual(
      facts.exposed_ports.map((p) => [p.port, p.end_port, p.protocol]),
      [
        [8080, 8080, 'tcp'],
        [9000, 9002, 'udp'],
        [null, null, 'tcp'],
      ],
    );
    assert.deepEqual(
      facts.users.map((u) => u.user),
      ['root', '65532:65532'],
    );
    assert.equal(facts.final_user, '65532:65532');
    assert.equal(facts.runs_as_root, false);
    assert.equal(facts.has_healthcheck, true);
  });

  it('treats a final stage without USER as root, even if an earlier stage set one', () => {
    const facts = dockerfile('FROM alpine AS a\nUSER app\nFROM alpine:3.20\nRUN true\n');
    assert.equal(facts.final_user, null);
    assert.equal(facts.runs_as_root, true);
  });

  it('gives scratch no base image', () => {
    assert.equal(dockerfile('FROM scratch\nCOPY app /\n').base_image, null);
  });

  it('gives the image its base from the Dockerfile when the report has none', () => {
    const input = normalizeWith({ dockerfile: { path: 'Dockerfile', bytes: bytes('FROM node:20-slim\n') } });
    assert.equal(input.image.base_image?.name, 'docker.io/library/node');
  });
});
