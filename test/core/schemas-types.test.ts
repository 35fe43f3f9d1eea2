import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { REPO } from '../helpers/processes.js';

// The JSON Schemas under schemas/ are the contract users and other tools
// validate against; the TypeScript types are what the code builds. This walks
// both together and fails on any drift: a property one has and the other not,
// required versus optional, nullability, enums, array items, map values.

type Schema = Record<string, unknown>;

const PAIRS = [
  { schema: 'normalized-input.schema.json', file: 'src/inputs/types.ts', type: 'NormalizedInput' },
  { schema: 'decision.schema.json', file: 'src/report/model.ts', type: 'Decision' },
  { schema: 'cluster-metadata.schema.json', file: 'src/inputs/metadata.ts', type: 'ClusterMetadataFile' },
] as const;

const program = ts.createProgram(
  PAIRS.map((p) => join(REPO, p.file)),
  { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true, types: [] },
);
const checker = program.getTypeChecker();

function exported(file: string, name: string): ts.Type {
  const source = program.getSourceFile(join(REPO, file));
  assert.ok(source, file);
  const symbol = checker.getExportsOfModule(checker.getSymbolAtLocation(source) as ts.Symbol).find((s) => s.name === name);
  assert.ok(symbol, `${file} exports ${name}`);
  return checker.getDeclaredTypeOfSymbol(symbol);
}

/** The schema behind $ref / allOf / anyOf-with-null, and whether null is allowed. */
function resolve(schema: Schema, root: Schema): { schema: Schema; nullable: boolean } {
  let nullable = false;
  let s = schema;
  for (let i = 0; i < 10; i += 1) {
    const ref = s['$ref'];
    if (typeof ref === 'string') {
      s = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<Schema>((node, key) => node[key] as Schema, root);
      continue;
    }
    const anyOf = (s['anyOf'] ?? s['oneOf']) as Schema[] | undefined;
    if (anyOf) {
      const rest = anyOf.filter((a) => a['type'] !== 'null');
      nullable ||= rest.length < anyOf.length;
      if (rest.length === 1 && rest[0]) {
        s = rest[0];
        continue;
      }
    }
    const allOf = s['allOf'] as Schema[] | undefined;
    if (allOf?.[0]) {
      s = allOf[0];
      continue;
    }
    break;
  }
  const type = s['type'];
  nullable ||= (Array.isArray(type) && type.includes('null')) || (Array.isArray(s['enum']) && (s['enum'] as unknown[]).includes(null));
  return { schema: s, nullable };
}

function typesOf(schema: Schema): string[] {
  const type = schema['type'];
  return (Array.isArray(type) ? type : type === undefined ? [] : [type]).filter((t): t is string => typeof t === 'string' && t !== 'null');
}

function compare(type: ts.Type, raw: Schema, root: Schema, path: string, errors: string[]): void {
  const { schema, nullable } = resolve(raw, root);
  const parts = type.isUnion() ? type.types : [type];
  const isNull = (t: ts.Type) => (t.flags & ts.TypeFlags.Null) !== 0;
  const tsNullable = parts.some(isNull);
  if (tsNullable !== nullable)
    errors.push(`${path}: ${tsNullable ? 'TypeScript allows null, the schema does not' : 'the schema allows null, TypeScript does not'}`);
  const rest = parts.filter((t) => !isNull(t) && (t.flags & ts.TypeFlags.Undefined) === 0);
  if (rest.length === 0) return;
  if (rest.every((t) => t.isStringLiteral() || t.isNumberLiteral() || (t.flags & ts.TypeFlags.BooleanLiteral) !== 0)) {
    if (rest.every((t) => (t.flags & ts.TypeFlags.BooleanLiteral) !== 0)) {
      if (!typesOf(schema).includes('boolean')) errors.push(`${path}: boolean in TypeScript, not in the schema`);
      return;
    }
    const values = rest.map((t) => (t as ts.LiteralType).value).sort();
    const allowed = (schema['enum'] as unknown[] | undefined)?.filter((v) => v !== null) ?? ('const' in schema ? [schema['const']] : undefined);
    if (!allowed) errors.push(`${path}: TypeScript allows only ${JSON.stringify(values)}, the schema has no enum`);
    else if (JSON.stringify([...allowed].sort()) !== JSON.stringify(values))
      errors.push(`${path}: enum ${JSON.stringify([...allowed].sort())} in the schema, ${JSON.stringify(values)} in TypeScript`);
    return;
  }
  const [only] = rest;
  if (rest.length > 1 || !only) {
    errors.push(`${path}: a union TypeScript type this test does not compare (${checker.typeToString(type)})`);
    return;
  }
  const types = typesOf(schema);
  if (only.flags & ts.TypeFlags.String) {
    if (!types.includes('string')) errors.push(`${path}: string in TypeScript, ${JSON.stringify(types)} in the schema`);
  } else if (only.flags & ts.TypeFlags.Number) {
    if (!types.includes('number') && !types.includes('integer')) errors.push(`${path}: number in TypeScript, ${JSON.stringify(types)} in the schema`);
  } else if (only.flags & ts.TypeFlags.Boolean) {
    if (!types.includes('boolean')) errors.push(`${path}: boolean in TypeScript, ${JSON.stringify(types)} in the schema`);
  } else if (checker.isArrayType(only) || checker.isTupleType(only)) {
    if (!types.includes('array')) errors.push(`${path}: an array in TypeScript, ${JSON.stringify(types)} in the schema`);
    const item = checker.getTypeArguments(only as ts.TypeReference)[0];
    if (item && schema['items']) compare(item, schema['items'] as Schema, root, `${path}[]`, errors);
  } else {
    compareObject(only, schema, root, path, errors);
  }
}

function compareObject(type: ts.Type, schema: Schema, root: Schema, path: string, errors: string[]): void {
  if (!typesOf(schema).includes('object')) errors.push(`${path}: an object in TypeScript, ${JSON.stringify(typesOf(schema))} in the schema`);
  const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
  if (index) {
    const values = schema['additionalProperties'];
    if (typeof values !== 'object' || values === null) errors.push(`${path}: a map in TypeScript, no additionalProperties schema`);
    else compare(index.type, values as Schema, root, `${path}{}`, errors);
    return;
  }
  const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
  const required = new Set((schema['required'] ?? []) as string[]);
  const tsProps = checker.getPropertiesOfType(type);
  const names = new Set(tsProps.map((p) => p.name));
  for (const name of Object.keys(properties)) if (!names.has(name)) errors.push(`${path}.${name}: in the schema, not in TypeScript`);
  for (const prop of tsProps) {
    const sub = properties[prop.name];
    if (!sub) {
      errors.push(`${path}.${prop.name}: in TypeScript, not in the schema`);
      continue;
    }
    const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
    if (optional === required.has(prop.name))
      errors.push(`${path}.${prop.name}: ${optional ? 'optional in TypeScript, required in the schema' : 'required in TypeScript, optional in the schema'}`);
    compare(
      checker.getNonNullableType(checker.getTypeOfSymbol(prop)) === checker.getTypeOfSymbol(prop) || !optional
        ? checker.getTypeOfSymbol(prop)
        : checker.getNonNullableType(checker.getTypeOfSymbol(prop)),
      sub,
      root,
      `${path}.${prop.name}`,
      errors,
    );
  }
}

describe('JSON Schemas match the TypeScript types', () => {
  for (const pair of PAIRS) {
    it(`schemas/${pair.schema} ⇔ ${pair.type} (${pair.file})`, () => {
      const schema = JSON.parse(readFileSync(join(REPO, 'schemas', pair.schema), 'utf8')) as Schema;
      const errors: string[] = [];
      compare(exported(pair.file, pair.type), schema, schema, pair.type, errors);
      assert.deepEqual(errors, []);
    });
  }
});
