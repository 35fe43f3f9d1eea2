import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findingQueryParams, parseFindingQuery } from '../../src/inventory/index.js';

describe('the finding query', () => {
  it("reads the practice's example: production namespaces, HIGH or above, known for 30 days, fixable", () => {
    const q = parseFindingQuery({ namespace: 'prod*', severity_at_least: 'high', age: '30d', fixable: 'true' });
    assert.deepEqual(q, {
      filter: { namespace: 'prod*', severityAtLeast: 4, minAgeDays: 30, fixable: true, states: ['open'] },
      sort: 'severity',
      order: 'desc',
      limit: 100,
    });
  });

  it('round-trips through URL parameters', () => {
    const params = {
      cluster: 'prod-*',
      namespace: 'shop',
      environment: 'prod',
      workload: 'Deployment/web*',
      repository: 'docker.io/library/*',
      digest: `sha256:${'a'.repeat(64)}`,
      rule: 'vulnerability_age',
      severity_at_least: 'MEDIUM',
      id: 'CVE-2021-44228',
      package: 'log4j*',
      fixable: 'false',
      age: '7d',
      first_seen_before: '2026-01-01T00:00:00.000Z',
      first_seen_after: '2025-01-01T00:00:00.000Z',
      enforcement: 'deny',
      state: 'open,excepted',
      group_by: 'workload',
      sort: 'age',
      order: 'asc',
      limit: '20',
      cursor: 'abc',
      exact_total: 'true',
    };
    const q = parseFindingQuery(params);
    assert.deepEqual(parseFindingQuery(Object.fromEntries(findingQueryParams(q))), q);
    assert.equal(parseFindingQuery({ state: 'all' }).filter.states, undefined);
  });

  it('refuses unknown, repeated and malformed parameters, naming them', () => {
    const cases: [Record<string, string | string[]>, RegExp][] = [
      [{ namespaces: 'x' }, /unknown query parameter 'namespaces'/],
      [{ namespace: ['a', 'b'] }, /'namespace' is given more than once/],
      [{ severity_at_least: 'SEVERE' }, /'severity_at_least' must be one of/],
      [{ age: 'thirty' }, /'age' must be a number of days/],
      [{ fixable: 'yes' }, /'fixable' must be true or false/],
      [{ digest: 'sha256:abc' }, /'digest' must be sha256/],
      [{ state: 'closed' }, /'state' must be one of open, resolved, excepted/],
      [{ group_by: 'team' }, /'group_by' must be one of cve, image, workload, namespace, package/],
      [{ limit: '5000' }, /'limit' must be an integer from 1 to 1000/],
      [{ first_seen_before: 'yesterday' }, /'first_seen_before' must be an RFC 3339 time/],
    ];
    for (const [params, message] of cases) assert.throws(() => parseFindingQuery(params), message);
  });
});
