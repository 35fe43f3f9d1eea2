import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import {
  describeSearchOrder,
  findPinnedTool,
  pinnedToolVersion,
  setupHint,
  toolEnvironment,
  userToolPath,
  type ToolEnvironment,
} from '../../src/compile/index.js';
import { REPO } from '../helpers/processes.js';

/** An executable stand-in for a tool; the lookup is given its version by the test, so nothing is run. */
async function fakeBinary(path: string, mode = 0o755): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, '#!/bin/sh\n');
  await chmod(path, mode);
  return path;
}

describe('the pinned-tool lookup', () => {
  it('reads each pin from its Go module as the tool prints its version', async () => {
    const opa = /github\.com\/open-policy-agent\/opa v(\S+)/.exec(await readFile(join(REPO, 'tools/opa/go.mod'), 'utf8'))?.[1];
    assert.equal(pinnedToolVersion('opa'), opa, 'opa version prints no leading v');
    assert.match(pinnedToolVersion('gator'), /^v3\.\d+\.\d+$/);
    assert.match(pinnedToolVersion('regal'), /^v\d+\.\d+\.\d+$/);
  });

  it('takes the first match of $OPA_BIN, .tools/bin, the per-user cache, PATH, skipping other versions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-tools-'));
    const pin = pinnedToolVersion('opa');
    const cacheDir = join(dir, 'cache', 'portcullis');
    const env = await fakeBinary(join(dir, 'env', 'opa'));
    const base: ToolEnvironment = { bins: { opa: env }, userCacheDir: cacheDir, path: '' };
    const cached = await fakeBinary(userToolPath('opa', pin, base));
    const onPath = await fakeBinary(join(dir, 'bin', 'opa'));
    await fakeBinary(join(dir, 'noexec', 'opa'), 0o644);
    const tools: ToolEnvironment = { ...base, path: ['relative/bin', join(dir, 'noexec'), join(dir, 'bin')].join(delimiter) };
    const versions = new Map<string, string>();
    const versionOf = (path: string) => versions.get(path);

    assert.equal(findPinnedTool('opa', tools, versionOf), undefined, 'nothing reports the pin');
    versions.set(onPath, pin);
    assert.deepEqual(findPinnedTool('opa', tools, versionOf), { path: onPath, source: 'PATH', version: pin });
    versions.set(cached, pin);
    assert.deepEqual(findPinnedTool('opa', tools, versionOf), { path: cached, source: 'user-cache', version: pin });
    versions.set(env, '0.1.0');
    assert.equal(findPinnedTool('opa', tools, versionOf)?.source, 'user-cache', 'a variable naming another version is skipped');
    versions.set(env, pin);
    assert.deepEqual(findPinnedTool('opa', tools, versionOf), { path: env, source: 'env', version: pin });
    assert.equal(cached, join(cacheDir, 'tools', 'opa', pin, 'opa'), 'one folder per pinned release');
  });

  it('finds the per-user cache under $XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(toolEnvironment({ XDG_CACHE_HOME: '/x', HOME: '/h' }).userCacheDir, '/x/portcullis');
    assert.equal(toolEnvironment({ HOME: '/h' }).userCacheDir, '/h/.cache/portcullis');
    assert.deepEqual(toolEnvironment({ OPA_BIN: '/o', GATOR_BIN: '', REGAL_BIN: '/r', HOME: '/h' }).bins, { opa: '/o', regal: '/r' });
  });

  it('names the search order and a command that exists wherever portcullis is installed', () => {
    assert.match(describeSearchOrder('regal'), /^\$REGAL_BIN, \.tools\/bin in a portcullis checkout, \$XDG_CACHE_HOME\/portcullis\/tools .*, then PATH/);
    assert.match(setupHint('opa'), /^run "npx portcullis setup opa" \(needs Go \d+\.\d+(\.\d+)? or later; .*\), or set OPA_BIN to/);
    assert.doesNotMatch(setupHint('gator'), /npm run/);
  });
});
