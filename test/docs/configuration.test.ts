// The configuration reference names every key the schema accepts, so a new
// key cannot ship undocumented.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configFileSchema } from '../../src/config/index.js';
import { REPO } from '../helpers/processes.js';

interface SchemaNode {
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly items?: SchemaNode;
}

/** Dotted paths of the leaves: a map of named entries is `<name>`, an array element `[]`; a map of plain values is a leaf. */
function leafPaths(node: SchemaNode, path: string): string[] {
  if (node.properties) return Object.entries(node.properties).flatMap(([key, child]) => leafPaths(child, path ? `${path}.${key}` : key));
  const entry = node.additionalProperties;
  if (typeof entry === 'object' && entry.properties) return leafPaths(entry, `${path}.<name>`);
  if (node.items?.properties) return leafPaths(node.items, `${path}[]`);
  return [path];
}

describe('docs/configuration.md', () => {
  it('documents every key of the serve configuration schema by its full path', () => {
    const doc = readFileSync(join(REPO, 'docs', 'configuration.md'), 'utf8');
    const paths = leafPaths(configFileSchema as SchemaNode, '');
    assert.ok(paths.length > 80, `the schema walk found only ${paths.length} keys`);
    const missing = paths.filter((path) => {
      const pattern = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<name>/g, '<[a-z]+>');
      return !new RegExp(`\`${pattern}\``).test(doc);
    });
    assert.deepEqual(missing, []);
  });
});
