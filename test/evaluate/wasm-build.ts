import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBundle } from '../../src/bundle/index.js';
import { capabilitiesPath, runOpa } from '../../src/compile/index.js';
import { WasmPolicy, type EvaluationLimits } from '../../src/evaluate/index.js';
import { toolchain } from '../helpers/opa.js';

/** Compiles one Rego module with the pinned opa (against the project's capabilities unless told not to) and loads it. */
export async function wasmPolicy(
  rego: string,
  entrypoints: readonly string[],
  options: { capabilities?: boolean; limits?: EvaluationLimits } = {},
): Promise<WasmPolicy> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-wasm-'));
  try {
    await writeFile(join(dir, 'policy.rego'), rego);
    const out = join(dir, 'bundle.tar.gz');
    const capabilities = options.capabilities === false ? [] : ['--capabilities', capabilitiesPath()];
    const args = ['build', '-t', 'wasm', ...capabilities, ...entrypoints.flatMap((e) => ['-e', e]), '-o', out, join(dir, 'policy.rego')];
    const build = await runOpa(toolchain().opa, args);
    if (build.code !== 0) throw new Error(`opa build failed: ${build.stdout}${build.stderr}`);
    return await WasmPolicy.fromBundle(loadBundle(await readFile(out)), options.limits);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** OPA's own evaluator (topdown, non-strict builtin errors) on the same module and input. */
export async function topdownEval(rego: string, query: string, input: unknown): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-topdown-'));
  try {
    await writeFile(join(dir, 'policy.rego'), rego);
    await writeFile(join(dir, 'input.json'), JSON.stringify(input));
    const run = await runOpa(toolchain().opa, ['eval', '--format', 'json', '-d', join(dir, 'policy.rego'), '-i', join(dir, 'input.json'), query]);
    if (run.code !== 0) throw new Error(`opa eval failed: ${run.stdout}${run.stderr}`);
    const out = JSON.parse(run.stdout) as { result?: { expressions: { value: unknown }[] }[] };
    return out.result?.[0]?.expressions[0]?.value;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
