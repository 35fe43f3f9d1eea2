import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/core/index.js';
import { credentialLookup, defaultDockerConfig } from '../../src/oci/index.js';

async function dockerConfig(content: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-docker-'));
  const file = join(dir, 'config.json');
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

describe("registry credentials: flags first, then Docker's config.json", () => {
  it('reads auths under any of the key forms docker writes', async () => {
    const file = await dockerConfig({
      auths: {
        'https://r1.example.com/v1/': { auth: basic('u1', 'p:1') },
        'http://r2.example.com': { username: 'u2', password: 'p2' },
        'r3.example.com:5000': { identitytoken: 'refresh-3' },
        'https://index.docker.io/v1/': { auth: basic('hub', 'hubpass') },
      },
    });
    const lookup = credentialLookup({ dockerConfig: file, env: {} });
    assert.deepEqual((await lookup('r1.example.com'))?.credentials, { kind: 'basic', username: 'u1', password: 'p:1' });
    assert.deepEqual((await lookup('r2.example.com'))?.credentials, { kind: 'basic', username: 'u2', password: 'p2' });
    assert.deepEqual((await lookup('r3.example.com:5000'))?.credentials, { kind: 'identity-token', token: 'refresh-3' });
    assert.deepEqual((await lookup('registry-1.docker.io'))?.credentials, { kind: 'basic', username: 'hub', password: 'hubpass' });
    assert.equal(await lookup('other.example.com'), undefined);
    assert.match((await lookup('r1.example.com'))?.from ?? '', /config\.json \(auths\)/);
  });

  it('prefers explicit credentials, and wants a user with a password', async () => {
    const file = await dockerConfig({ auths: { 'r.example.com': { auth: basic('docker', 'x') } } });
    const lookup = credentialLookup({ dockerConfig: file, env: {}, username: 'flag', password: 'y' });
    assert.deepEqual((await lookup('r.example.com'))?.credentials, { kind: 'basic', username: 'flag', password: 'y' });
    assert.throws(
      () => credentialLookup({ env: {}, username: 'only' }),
      (err: unknown) => isAppError(err) && err.code === 'USAGE',
    );
    const token = credentialLookup({ env: {}, registryToken: 't0k' });
    assert.deepEqual((await token('any.example.com'))?.credentials, { kind: 'registry-token', token: 't0k' });
  });

  it('finds no credentials without a config file, and names a broken one', async () => {
    assert.equal(await credentialLookup({ dockerConfig: '/nonexistent/config.json', env: {} })('r.example.com'), undefined);
    const broken = await dockerConfig('{"auths": ');
    await assert.rejects(credentialLookup({ dockerConfig: broken, env: {} })('r.example.com'), (err: unknown) => {
      return isAppError(err) && err.code === 'CONFIG_INVALID' && err.message.includes(broken);
    });
    const badAuth = await dockerConfig({ auths: { 'r.example.com': { auth: Buffer.from('no-colon').toString('base64') } } });
    await assert.rejects(credentialLookup({ dockerConfig: badAuth, env: {} })('r.example.com'), /not base64 of user:password/);
  });

  it('locates config.json as docker does: $DOCKER_CONFIG, else ~/.docker', () => {
    assert.equal(defaultDockerConfig({ DOCKER_CONFIG: '/etc/dc', HOME: '/home/u' }), '/etc/dc/config.json');
    assert.equal(defaultDockerConfig({ HOME: '/home/u' }), '/home/u/.docker/config.json');
  });
});
