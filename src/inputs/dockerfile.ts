import { createRequire } from 'node:module';
import type { From, Instruction } from 'dockerfile-ast';
import { decodeText, type InputLimits } from './read.js';
import { dockerfileFacts } from './dockerfile-facts.js';
import type { DockerfileFacts, DockerfileInstruction, DockerfileStage, DockerfileVariable } from './dockerfile-types.js';
import { parseImageRef } from './image-ref.js';

let parser: typeof import('dockerfile-ast') | undefined;

/** Loaded with the first Dockerfile: most checks have none, and the parser is a tenth of a CI gate's start-up. */
function ast(): typeof import('dockerfile-ast') {
  parser ??= createRequire(import.meta.url)('dockerfile-ast') as typeof import('dockerfile-ast');
  return parser;
}

/** A Dockerfile's instructions and the facts policies check, with 1-based line numbers. */
export function parseDockerfile(bytes: Uint8Array, path: string, limits: InputLimits): DockerfileFacts {
  const text = decodeText(bytes, path, { ...limits, maxBytes: limits.maxDockerfileBytes });
  const { Arg, DockerfileParser, Env, From } = ast();
  const dockerfile = DockerfileParser.parse(text);
  const initialArgs = new Map(
    dockerfile.getInitialARGs().flatMap((arg) => {
      const property = arg.getProperty();
      return property ? [[property.getName(), property.getValue() ?? ''] as const] : [];
    }),
  );
  const stages: DockerfileStage[] = [];
  const instructions: DockerfileInstruction[] = [];
  const env: DockerfileVariable[] = [];
  const args: DockerfileVariable[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction instanceof From) stages.push(stageOf(instruction, stages, initialArgs));
    const stage = stages.length - 1;
    const line = instruction.getRange().start.line + 1;
    instructions.push(instructionOf(instruction, stage));
    const properties = instruction instanceof Env ? instruction.getProperties() : instruction instanceof Arg ? [instruction.getProperty()] : [];
    const into = instruction instanceof Env ? env : args;
    for (const p of properties) if (p) into.push({ line, stage, name: p.getName(), value: p.getValue() });
  }
  return dockerfileFacts(path, { stages, instructions, env, args });
}

function instructionOf(instruction: Instruction, stage: number): DockerfileInstruction {
  const range = instruction.getRange();
  const { JSONInstruction, ModifiableInstruction } = ast();
  const flags: Record<string, string | null> = {};
  if (instruction instanceof ModifiableInstruction) {
    for (const flag of instruction.getFlags()) flags[flag.getName()] = flag.getValue();
  }
  const json = instruction instanceof JSONInstruction && instruction.getJSONStrings().length > 0;
  return {
    line: range.start.line + 1,
    end_line: range.end.line + 1,
    stage,
    instruction: instruction.getKeyword().toUpperCase(),
    args: instruction.getArgumentsContent() ?? '',
    arguments: json ? instruction.getJSONStrings().map((s) => s.getJSONValue()) : instruction.getArguments().map((a) => a.getValue()),
    flags,
    json,
  };
}

function stageOf(from: From, earlier: readonly DockerfileStage[], args: ReadonlyMap<string, string>): DockerfileStage {
  const written = from.getImage() ?? '';
  const image = expand(written, args);
  const alias = earlier.find((s) => s.name !== null && s.name.toLowerCase() === image.toLowerCase());
  const platform = from.getPlatformFlag()?.getValue() ?? null;
  return {
    index: earlier.length,
    name: from.getBuildStage(),
    line: from.getRange().start.line + 1,
    from: image,
    // A stage built FROM another stage inherits that stage's base image.
    base: alias ? alias.base : image.toLowerCase() === 'scratch' ? null : parseImageRef(image),
    base_stage: alias?.name ?? null,
    platform,
  };
}

/** Substitutes the ARGs declared before the first FROM, the only ones a FROM line can see. */
function expand(text: string, args: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced, fallback, bare) => {
    const name = (braced ?? bare) as string;
    const value = args.get(name);
    if (value !== undefined && value !== '') return value;
    return typeof fallback === 'string' ? fallback : value === undefined ? whole : '';
  });
}
