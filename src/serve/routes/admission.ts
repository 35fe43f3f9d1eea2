import type Router from '@koa/router';
import { createRouter } from '../request-path.js';
import type { Logger } from 'pino';
import type { DecisionPolicy } from '../../check/index.js';
import { AppError } from '../../core/index.js';
import {
  DecisionCache,
  reviewAdmission,
  type AdmissionOptions,
  type ImageVerdict,
  type NamespaceLabels,
  type ScanResults,
  type SplitInput,
  type StoredScan,
} from '../../gatekeeper/index.js';
import { readBodyParts, readJsonBody, type BodyOptions } from '../body.js';
import type { BodyParts } from '../evaluation-jobs.js';
import { requireClientCert } from '../client-cert.js';
import type { InventoryHooks } from './gatekeeper.js';

export interface AdmissionRouteOptions {
  readonly scans: ScanResults;
  readonly policy: () => Promise<DecisionPolicy>;
  readonly namespaceLabels: NamespaceLabels;
  readonly admission: AdmissionOptions;
  readonly logger: Logger;
  readonly requireClientCert: boolean;
  /** AdmissionReviews are small; scan reports can be tens of MiB. */
  readonly reviewBody: BodyOptions;
  readonly reportBody: BodyOptions;
  /** Normalizes and decides an uploaded report (a POST /v1/reports body) as of `now`, off the event loop when it is large. */
  readonly decideReport: (body: BodyParts, now: Date) => Promise<StoredScan>;
  /** Decides one image of a review (its input as JSON text in two parts) on an evaluation worker. */
  readonly decide: (input: SplitInput, now: Date) => Promise<ImageVerdict>;
  readonly inventory?: InventoryHooks;
}

/**
 * `POST /v1/admission` (validating webhook), `POST /v1/reports` (scan
 * results from CI, stored by digest) and `GET /v1/reports/<digest>` (their
 * history). A malformed review is a 4xx, which the API server treats per the
 * webhook's failurePolicy; a policy that cannot be evaluated is answered per
 * `admission.failure_policy`.
 */
export function admissionRoutes(options: AdmissionRouteOptions): Router {
  const router = createRouter();
  const cache = new DecisionCache<ImageVerdict>();
  router.post('/v1/admission', async (ctx) => {
    requireClientCert(ctx, options.requireClientCert);
    const body = await readJsonBody(ctx, options.reviewBody);
    ctx.set('Cache-Control', 'no-store');
    const inventory = options.inventory;
    const answer = await reviewAdmission(body, {
      scans: options.scans,
      policy: options.policy,
      namespaceLabels: options.namespaceLabels,
      options: options.admission,
      cache,
      decide: options.decide,
      onDecision: (record) => options.logger.info({ admission: record }, record.allowed ? 'admitted' : 'denied'),
      onError: (err) => options.logger.error({ err }, 'admission review could not be evaluated'),
      ...(inventory ? { metadata: inventory.metadata, now: inventory.clock } : {}),
    });
    // What an allowed review starts or stops (deletions included) goes into the inventory, off the request path.
    if ((answer['response'] as { allowed?: boolean } | undefined)?.allowed === true) inventory?.admitted(body);
    ctx.body = answer;
  });
  router.post('/v1/reports', async (ctx) => {
    requireClientCert(ctx, options.requireClientCert);
    const scan = await options.decideReport(await readBodyParts(ctx, options.reportBody), options.inventory?.clock() ?? new Date());
    await options.scans.put(scan);
    options.inventory?.scanStored(scan.digest);
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { digest: scan.digest, image: scan.image, stored_at: scan.storedAt, decision: scan.decision };
  });
  router.get('/v1/reports/:digest', async (ctx) => {
    requireClientCert(ctx, options.requireClientCert);
    const digest = ctx.params['digest'] ?? '';
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new AppError('REQUEST_INVALID', 'the digest must be sha256:<64 hex digits>');
    const history = await options.scans.history(digest);
    if (history.length === 0) throw new AppError('FILE_NOT_FOUND', `no scan result is stored for ${digest}`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { digest, results: history.map((s) => ({ image: s.image, stored_at: s.storedAt, decision: s.decision })) };
  });
  return router;
}
