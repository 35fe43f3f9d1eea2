import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { normalize } from '../../../src/inputs/index.js';
import { REAL_FIXTURES } from '../../helpers/fixtures.js';
import { list, namespace, pod } from '../../inventory/kubernetes.js';
import { event, statusUpdate } from '../../store/fleet-app.js';
import type { FuzzTarget } from './http-fuzz.js';

export const DIGEST = `sha256:${'b'.repeat(64)}`;

/** Every endpoint of the server, each with a valid request built from real fixtures, to be mutated. */
export async function fuzzTargets(): Promise<FuzzTarget[]> {
  const trivyText = await readFile(join(REAL_FIXTURES, 'reports/django-DefectDojo__trivy__issue_9333.json'), 'utf8');
  const trivy = JSON.parse(trivyText) as unknown;
  const dockerfile = await readFile(join(REAL_FIXTURES, 'dockerfiles/conftest__examples-docker__Dockerfile'), 'utf8');
  const request = JSON.parse(await readFile(join(REAL_FIXTURES, 'admission/pod-privileged-policy__no_privileged_containers.json'), 'utf8')) as unknown;
  const input = normalize({ reports: [{ path: 'trivy.json', bytes: Buffer.from(trivyText) }], now: '2026-11-28T12:00:00Z' });
  return [
    { method: 'GET', path: '/health' },
    { method: 'GET', path: '/ready' },
    { method: 'GET', path: '/metrics' },
    { method: 'GET', path: '/v1/bundles' },
    { method: 'GET', path: '/bundles/image-scan' },
    { method: 'GET', path: '/v1/agents' },
    { method: 'GET', path: '/v1/decisions' },
    { method: 'GET', path: `/v1/reports/${DIGEST}` },
    { method: 'GET', path: '/v1/gatekeeper/manifests.yaml' },
    { method: 'GET', path: '/v2/' },
    { method: 'GET', path: '/v2/bundles/image-scan/manifests/latest' },
    { method: 'GET', path: '/v2/bundles/image-scan/tags/list' },
    { method: 'GET', path: '/v1/inventory' },
    { method: 'GET', path: '/v1/inventory/workloads?namespace=fuzz' },
    { method: 'GET', path: '/v1/inventory/deliveries' },
    { method: 'GET', path: '/v1/findings?severity_at_least=HIGH&limit=10' },
    { method: 'GET', path: '/v1/vulnerabilities/CVE-2024-3094' },
    { method: 'GET', path: `/v1/images/${DIGEST}` },
    { method: 'GET', path: '/v1/reports/kubernetes?format=policyreport' },
    { method: 'POST', path: '/v1/check', body: { reports: [trivy], dockerfile, now: '2026-11-28T12:00:00Z' } },
    { method: 'POST', path: '/v1/data/portcullis/scan/decision', body: { input } },
    { method: 'POST', path: '/v1/data/portcullis/image/pinned/deny', body: { input: { images: ['nginx:latest', `registry.example/app@${DIGEST}`] } } },
    { method: 'POST', path: '/v1/admission', body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request } },
    { method: 'POST', path: '/v1/reports', body: { image: `registry.example/app@${DIGEST}`, report: trivy } },
    {
      method: 'POST',
      path: '/v1/gatekeeper/provider',
      body: { apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [`registry.example/app@${DIGEST}`, 'nginx:1.25'] } },
    },
    {
      method: 'POST',
      path: '/v1/inventory?cluster=fuzz&new_cluster=true',
      body: list([namespace('fuzz'), pod('fuzz', 'web', [['app', `registry.example/app@${DIGEST}`, `registry.example/app@${DIGEST}`]])]),
      gzip: true,
    },
    { method: 'POST', path: '/status', body: statusUpdate('fuzz-agent'), gzip: true },
    { method: 'POST', path: '/logs', body: [event(1, 'fuzz-agent'), event(2, 'fuzz-agent')], gzip: true },
  ];
}
