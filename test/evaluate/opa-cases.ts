import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadBundle } from '../../src/bundle/index.js';
import { capabilitiesPath, runOpa } from '../../src/compile/index.js';
import { canonicalJson, parseJsonPreserving, type JsonValue } from '../../src/core/index.js';
import { WasmPolicy } from '../../src/evaluate/index.js';
import { toolchain } from '../helpers/opa.js';
import { REPO } from '../helpers/processes.js';

// Runs cases of OPA's own conformance suite (v1/test/cases/testdata/v1, shipped
// in OPA's Go module) against opa-wasm with portcullis's host builtins: each
// case is compiled by the pinned opa against tools/opa/capabilities.json and
// evaluated in-process, the way OPA's Wasm e2e harness runs them.

/** One case of a suite file, with its expectations. */
export interface OpaCase {
  readonly file: string;
  readonly note: string;
  readonly query: string;
  readonly modules: readonly string[];
  readonly data?: JsonValue;
  readonly input?: JsonValue;
  /** want_result with integers as bigint, so that nanosecond values compare exactly. */
  readonly wantResult?: readonly Record<string, unknown>[];
  readonly wantError?: string;
  readonly strictError: boolean;
  readonly sortBindings: boolean;
}

export type Outcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const WRAPPER_PACKAGE = 'portcullis_conformance';

/** The directory of OPA's Go module that tools/opa pins, found as scripts/gen-capabilities.mjs finds it. */
export function opaModuleDir(): string {
  return execFileSync('go', ['list', '-m', '-f', '{{.Dir}}', 'github.com/open-policy-agent/opa'], { cwd: join(REPO, 'tools/opa'), encoding: 'utf8' }).trim();
}

export function casesDir(): string {
  return join(opaModuleDir(), 'v1/test/cases/testdata/v1');
}

/** Every case of the YAML files under `dir` (relative to the v1 cases directory), or of one file. */
export function loadCases(relative: string): OpaCase[] {
  const path = join(casesDir(), relative);
  const files = relative.endsWith('.yaml')
    ? [path]
    : readdirSync(path)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => join(path, f));
  return files.flatMap((file) => casesOf(file, relative.endsWith('.yaml') ? relative : `${relative}/${file.slice(path.length + 1)}`));
}

function casesOf(path: string, file: string): OpaCase[] {
  const text = readFileSync(path, 'utf8');
  // Inputs and data as plain JSON numbers (what evaluate() is given); expectations with exact integers.
  const plain = parseAllDocuments(text).flatMap((d) => ((d.toJS() as { cases?: unknown[] } | null)?.cases ?? []) as Record<string, unknown>[]);
  const exact = parseAllDocuments(text, { intAsBigInt: true }).flatMap(
    (d) => ((d.toJS() as { cases?: unknown[] } | null)?.cases ?? []) as Record<string, unknown>[],
  );
  return plain.map((c, i) => {
    if ('input_term' in c) throw new Error(`${file}: input_term is not supported`);
    const want = exact[i]?.['want_result'] as Record<string, unknown>[] | undefined;
    return {
      file,
      note: String(c['note']),
      query: String(c['query']),
      modules: c['modules'] as string[],
      ...(c['data'] === undefined ? {} : { data: c['data'] as JsonValue }),
      ...(c['input'] === undefined ? {} : { input: c['input'] as JsonValue }),
      ...(want === undefined ? {} : { wantResult: want }),
      ...(c['want_error'] === undefined ? {} : { wantError: typeof c['want_error'] === 'string' ? c['want_error'] : JSON.stringify(c['want_error']) }),
      strictError: c['strict_error'] === true,
      sortBindings: c['sort_bindings'] === true,
    };
  });
}

/** `data.a.b = x; data.c = y` as [['a/b', 'x'], ['c', 'y']]. */
export function queryBindings(query: string): [path: string, variable: string][] {
  return query
    .split(/[;\n]/)
    .map((clause) => clause.trim())
    .filter((clause) => clause !== '')
    .map((clause) => {
      const m = /^data\.([\w.]+)\s*=\s*(\w+)$/.exec(clause);
      if (!m?.[1] || !m[2]) throw new Error(`unsupported query clause: ${clause}`);
      return [m[1].replaceAll('.', '/'), m[2]];
    });
}

/**
 * Compiles and evaluates one case, and compares with its expectation. The
 * query's bindings are collected by an added rule into one object and
 * serialised with json.marshal inside Wasm, so that integers beyond 2^53
 * are compared exactly rather than after the SDK's JSON.parse.
 */
export async function runCase(c: OpaCase): Promise<Outcome> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-opa-case-'));
  try {
    return await buildAndEvaluate(c, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function buildAndEvaluate(c: OpaCase, dir: string): Promise<Outcome> {
  const bindings = queryBindings(c.query);
  const src = join(dir, 'src');
  await mkdir(src);
  await Promise.all(c.modules.map((m, i) => writeFile(join(src, `case-${i}.rego`), m)));
  const object = bindings.map(([path, variable]) => `${JSON.stringify(variable)}: data.${path.replaceAll('/', '.')}`).join(', ');
  await writeFile(join(src, 'wrapper.rego'), `package ${WRAPPER_PACKAGE}\n\nresult := json.marshal({${object}})\n`);
  if (c.data !== undefined) await writeFile(join(src, 'data.json'), canonicalJson(c.data));
  const bundlePath = join(dir, 'bundle.tar.gz');
  const build = await runOpa(toolchain().opa, [
    'build',
    '-t',
    'wasm',
    '--capabilities',
    capabilitiesPath(),
    '-e',
    `${WRAPPER_PACKAGE}/result`,
    '-o',
    bundlePath,
    src,
  ]);
  if (build.code !== 0) {
    return c.wantError !== undefined && !c.strictError ? { ok: true } : { ok: false, reason: `opa build failed: ${`${build.stdout}${build.stderr}`.trim()}` };
  }
  const policy = await WasmPolicy.fromBundle(loadBundle(await readFile(bundlePath)));
  let decision;
  try {
    decision = policy.evaluate(`${WRAPPER_PACKAGE}/result`, c.input);
  } catch (err) {
    return c.wantError !== undefined && !c.strictError ? { ok: true } : { ok: false, reason: `evaluation failed: ${String(err)}` };
  }
  return compare(c, decision.defined ? (decision.result as string) : undefined);
}

function compare(c: OpaCase, marshalled: string | undefined): Outcome {
  if (c.wantError !== undefined && !c.strictError) return { ok: false, reason: `want error ${c.wantError}, got ${marshalled ?? 'undefined'}` };
  // A strict_error case expects an error only under strict builtin errors;
  // Wasm, like topdown's default mode, gives an undefined result instead.
  const want = c.wantError !== undefined ? [] : (c.wantResult ?? []);
  const expected = want.length === 0 ? 'undefined' : normalize(want[0], c.sortBindings);
  const actual = marshalled === undefined ? 'undefined' : normalize(parseJsonPreserving(marshalled), c.sortBindings);
  if (want.length > 1) return { ok: false, reason: 'more than one result set is not supported' };
  return expected === actual ? { ok: true } : { ok: false, reason: `want ${expected}, got ${actual}` };
}

/** Canonical JSON with numbers as their digits, arrays sorted when the case compares them as sets. */
function normalize(value: unknown, sortArrays: boolean): string {
  return canonicalJson(sortArrays ? deepSort(value) : value);
}

function deepSort(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deepSort).sort((a, b) => (canonicalJson(a) < canonicalJson(b) ? -1 : 1));
  if (value !== null && typeof value === 'object' && value.constructor === Object) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepSort(v)]));
  }
  return value;
}
