#!/usr/bin/env node
// Signs and verifies a ~50 MB bundle made of many data files, and compares
// with `opa sign` on the same directory, in one run, printing the ratios.
// Target: portcullis signing (and verifying) <= 1.5x opa sign's time.
// Both sides are timed as whole processes (start-up, reading the files,
// hashing, canonical JSON for data.json, signing), in interleaved rounds,
// median of --runs.
// The end-to-end CLI commands on the .tar.gz (gunzip, tar, gzip) are timed too.
// Uses the compiled sources: run `npm run build` first.
// Usage: npm run bench:sign [-- --runs N --mb M]
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinnedToolPath } from '../scripts/go-tool.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin/portcullis.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

/** Every regular file under `dir`, as bundle files with `/`-rooted paths. */
function readTree(dir) {
  const out = [];
  const walk = (sub) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else out.push({ path: `/${rel}`, bytes: new Uint8Array(readFileSync(join(dir, rel))) });
    }
  };
  walk('');
  return out;
}

// Worker mode: one process does what `opa sign` does (or verifies it), so both sides pay start-up.
if (process.argv[2] === '--worker') {
  const [, , , mode, dir, keyFile, alg] = process.argv;
  const sign = await import('../dist/src/sign/index.js');
  const files = readTree(dir).filter((f) => !sign.isSignaturesFile(f.path));
  if (mode === 'sign') {
    const key = sign.loadSigningKey(readFileSync(keyFile), alg, 'bench key');
    const signed = await sign.signFiles(files, { algorithm: alg, key, keyId: 'bench' });
    writeFileSync(join(dir, '.signatures.json'), signed.find((f) => f.path === '/.signatures.json').bytes);
  } else {
    const key = sign.loadVerificationKey(readFileSync(keyFile), alg, 'bench key');
    const sig = { path: '/.signatures.json', bytes: readFileSync(join(dir, '.signatures.json')) };
    await sign.verifyFiles([...files, sig], { keys: new Map([['bench', { algorithm: alg, key }]]) });
  }
  process.exit(0);
}

const runs = Number(arg('--runs', '5'));
const targetMb = Number(arg('--mb', '50'));
const alg = 'RS256';
const opa = pinnedToolPath('opa');
const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-sign-'));
const dir = join(work, 'bundle');

/** Data files the way people write them: pretty-printed, unsorted keys, mixed numbers and non-ASCII text. */
function dataFile(i) {
  const rows = [];
  for (let r = 0; r < 400; r++) {
    rows.push({
      name: `image-${i}-${r}`,
      registry: r % 3 === 0 ? 'ghcr.io' : 'docker.io',
      digest: `sha256:${(i * 7919 + r).toString(16).padStart(64, '0')}`,
      size: i * 1000 + r,
      score: Math.round((i + 1) * (r + 1) * 0.137 * 1000) / 1000,
      labels: { zone: `eu-${r % 5}`, team: 'platform', note: 'naïve café ✓' },
      allowed: r % 2 === 0,
      tags: ['latest', `v${r}`, 'stable'],
    });
  }
  return JSON.stringify({ version: i, images: rows }, null, 2);
}

mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, '.manifest'), JSON.stringify({ revision: 'bench', roots: ['bench'] }, null, 2));
let total = 0;
let count = 0;
while (total < targetMb * 1024 * 1024) {
  const sub = join(dir, 'bench', `shard${String(count).padStart(4, '0')}`);
  mkdirSync(sub, { recursive: true });
  const body = dataFile(count);
  writeFileSync(join(sub, 'data.json'), body);
  writeFileSync(join(sub, 'policy.rego'), `package bench.shard${count}\n\nallow if input.size < ${count}\n`);
  total += Buffer.byteLength(body);
  count++;
}
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyFile = join(work, 'key.pem');
const pubFile = join(work, 'pub.pem');
writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));

const seconds = (fn) => {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const measure = (fn) => median(Array.from({ length: runs }, () => seconds(fn)));
const quiet = { stdio: 'ignore' };

const opaSign = () => execFileSync(opa, ['sign', '--bundle', '.', '--signing-key', keyFile, '--signing-alg', alg, '-o', work], { ...quiet, cwd: dir });
const ourSign = () => execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--worker', 'sign', dir, keyFile, alg], quiet);
const ourVerify = () => execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--worker', 'verify', dir, pubFile, alg], quiet);

// Warm the page cache and check that the signature we write verifies, once, before timing.
opaSign();
ourSign();
ourVerify();
// Interleaved rounds, so that load from other processes hits every side alike.
const rounds = Array.from({ length: runs }, () => [seconds(opaSign), seconds(ourSign), seconds(ourVerify)]);
const tOpa = median(rounds.map((r) => r[0]));
const tSign = median(rounds.map((r) => r[1]));
const tVerify = median(rounds.map((r) => r[2]));

// End to end on the archive: the CLI commands users run.
const { writeTarGz } = await import('../dist/src/bundle/index.js');
const tarFile = join(work, 'bundle.tar.gz');
rmSync(join(dir, '.signatures.json'), { force: true });
writeFileSync(tarFile, writeTarGz(readTree(dir)));
const signedFile = join(work, 'signed.tar.gz');
const cliSign = () => execFileSync(process.execPath, [CLI, 'sign', tarFile, '--alg', alg, '--key', keyFile, '--kid', 'bench', '-o', signedFile], quiet);
cliSign();
const cliVerify = () => execFileSync(process.execPath, [CLI, 'verify', signedFile, '--alg', alg, '--key', pubFile, '--kid', 'bench'], quiet);
const tCliSign = measure(cliSign);
const tCliVerify = measure(cliVerify);

const mb = (total / 1024 / 1024).toFixed(1);
const fmt = (t) => `${t.toFixed(3)} s`;
console.log(`bundle: ${count} data.json files (${mb} MB of JSON) + ${count} .rego files, ${alg}, median of ${runs} runs`);
console.log(`opa sign (directory)              ${fmt(tOpa)}`);
console.log(`portcullis sign (directory)       ${fmt(tSign)}   ratio ${(tSign / tOpa).toFixed(2)}x opa sign   (target <= 1.5x)`);
console.log(`portcullis verify (directory)     ${fmt(tVerify)}   ratio ${(tVerify / tOpa).toFixed(2)}x opa sign   (target <= 1.5x)`);
console.log(
  `portcullis sign (CLI, .tar.gz)    ${fmt(tCliSign)}   includes gunzip and gzip -9 of ${(readFileSync(tarFile).length / 1024 / 1024).toFixed(1)} MB`,
);
console.log(`portcullis verify (CLI, .tar.gz)  ${fmt(tCliVerify)}`);
rmSync(work, { recursive: true, force: true });
