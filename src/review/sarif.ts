import { sha256Hex } from '../core/index.js';
import { SARIF_SCHEMA_URI } from '../report/index.js';
import type { CheckResult, Problem, ReviewResult } from './model.js';

interface SarifResult {
  readonly ruleId: string;
  readonly level: 'error' | 'warning' | 'note';
  readonly message: { readonly text: string };
  readonly locations: readonly unknown[];
  readonly partialFingerprints: Readonly<Record<string, string>>;
}

const RULES: Readonly<Record<string, string>> = {
  'opa-fmt': 'Rego file not formatted as opa fmt would',
  'opa-check': 'opa check --strict error',
  'opa-test': 'Failing opa test',
  'review/newly-denied': 'Input newly denied by the policy change',
  'review/newly-allowed': 'Input newly allowed by the policy change',
  'review/no-longer-evaluates': 'Input the changed policy cannot evaluate',
};

/**
 * SARIF 2.1.0 for code scanning: head's check problems at their file:line,
 * and each input whose decision the change flips, located at the bundle
 * definition the reviewed policy is built from.
 */
export function formatReviewSarif(r: ReviewResult, tool: { readonly name: string; readonly version: string }): string {
  const results = [...r.checks.flatMap(checkResults), ...decisionResults(r)];
  const ids = [...new Set(results.map((x) => x.ruleId))].sort();
  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            version: tool.version,
            rules: ids.map((id) => ({ id, shortDescription: { text: RULES[id] ?? `Regal: ${id.slice(6)}` } })),
          },
        },
        results: results.map((x) => ({ ...x, ruleIndex: ids.indexOf(x.ruleId) })),
        properties: { base: r.base, head: r.head, entrypoint: r.entrypoint, failures: r.failures },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function checkResults(c: CheckResult): SarifResult[] {
  return c.problems.map((p) => {
    const ruleId = c.name === 'lint' ? `regal/${p.rule ?? 'lint'}` : `opa-${c.name}`;
    return result(ruleId, p.level, p.message, p.file ?? '.', p.line, `${ruleId}\u0000${p.file ?? ''}\u0000${p.rule ?? ''}\u0000${p.message}`);
  });
}

function decisionResults(r: ReviewResult): SarifResult[] {
  const file = r.head.definition;
  return r.replay.cases.flatMap((c) => {
    const what = `${c.id}${c.image ? ` (${c.image})` : ''}`;
    const rules = [...new Set(c.added.filter((f) => f.kind === 'violation').map((f) => f.rule))].join(', ');
    if (c.base === 'allow' && c.head === 'deny') {
      return [result('review/newly-denied', 'error', `${what} is newly denied${rules ? ` by ${rules}` : ''}`, file, undefined, `denied\u0000${c.id}`)];
    }
    if (c.base === 'deny' && c.head === 'allow')
      return [result('review/newly-allowed', 'warning', `${what} is newly allowed`, file, undefined, `allowed\u0000${c.id}`)];
    if (c.head === 'error' && c.base !== 'error') {
      return [result('review/no-longer-evaluates', 'error', `${what}: ${c.errors?.head ?? 'evaluation failed'}`, file, undefined, `error\u0000${c.id}`)];
    }
    return [];
  });
}

function result(ruleId: string, level: Problem['level'], text: string, file: string, line: number | undefined, identity: string): SarifResult {
  const region = line === undefined ? {} : { region: { startLine: line } };
  return {
    ruleId,
    level,
    message: { text },
    locations: [{ physicalLocation: { artifactLocation: { uri: file }, ...region } }],
    partialFingerprints: { 'portcullisReview/v1': sha256Hex(identity) },
  };
}
