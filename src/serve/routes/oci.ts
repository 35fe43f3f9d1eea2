import Router from '@koa/router';
import type { Context } from 'koa';
import { bundleArtifact, type BundleArtifact } from '../../oci/index.js';
import { bundleNameOf } from '../auth.js';
import type { BundleRegistry, PublishedBundle } from '../registry.js';

/** The one tag each bundle has: `<host>/bundles/<name>:latest` names what `/bundles/<name>` serves. */
export const OCI_TAG = 'latest';
export const OCI_REPOSITORY_PREFIX = 'bundles/';

/**
 * The read side of the OCI distribution API over the served bundles, so OPA
 * agents configured with `type: oci` can pull from portcullis itself:
 * `bundles/<name>:latest` resolves (HEAD or GET) to an image manifest whose
 * one layer is the bundle's exact bytes. The manifest is derived from the
 * bytes and revision only, so replicas serving the same bundle serve the same
 * manifest digest. Writes are not accepted.
 */
export function ociRoutes(registry: BundleRegistry): Router {
  const router = new Router();
  const artifacts = new WeakMap<PublishedBundle, BundleArtifact>();
  const artifactOf = (bundle: PublishedBundle): BundleArtifact => {
    let artifact = artifacts.get(bundle);
    if (!artifact) {
      artifact = bundleArtifact(
        { digest: `sha256:${bundle.etag.slice(1, -1)}`, size: bundle.bytes.byteLength },
        { revision: bundle.revision, title: bundle.name, fileName: `${bundle.name}.tar.gz` },
      );
      artifacts.set(bundle, artifact);
    }
    return artifact;
  };
  const bundleFor = (ctx: Context): PublishedBundle | undefined => {
    ctx.set('Docker-Distribution-API-Version', 'registry/2.0');
    return registry.get(bundleNameOf(nameOf(ctx)));
  };

  router.get('/v2/', (ctx) => {
    ctx.set('Docker-Distribution-API-Version', 'registry/2.0');
    ctx.body = {};
  });
  router.get('/v2/bundles/:name/manifests/:reference', (ctx) => {
    const bundle = bundleFor(ctx);
    const reference = String(ctx.params['reference']);
    const artifact = bundle && artifactOf(bundle);
    if (!artifact || (reference !== OCI_TAG && reference !== artifact.manifest.digest)) {
      return ociError(ctx, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${nameOf(ctx)}:${reference}`);
    }
    send(ctx, artifact.manifest.mediaType, artifact.manifest.digest, artifact.manifest.bytes);
  });
  router.get('/v2/bundles/:name/blobs/:digest', (ctx) => {
    const bundle = bundleFor(ctx);
    const digest = String(ctx.params['digest']);
    const artifact = bundle && artifactOf(bundle);
    if (!bundle || !artifact) return ociError(ctx, 404, 'BLOB_UNKNOWN', `blob unknown: ${digest}`);
    if (digest === artifact.layer.digest) return send(ctx, 'application/octet-stream', digest, bundle.bytes);
    if (digest === artifact.config.descriptor.digest) return send(ctx, 'application/octet-stream', digest, artifact.config.bytes);
    if (digest === artifact.manifest.digest) return send(ctx, artifact.manifest.mediaType, digest, artifact.manifest.bytes);
    ociError(ctx, 404, 'BLOB_UNKNOWN', `blob unknown: ${digest}`);
  });
  router.get('/v2/bundles/:name/tags/list', (ctx) => {
    const bundle = bundleFor(ctx);
    if (!bundle) return ociError(ctx, 404, 'NAME_UNKNOWN', `repository name not known: ${OCI_REPOSITORY_PREFIX}${nameOf(ctx)}`);
    ctx.body = { name: `${OCI_REPOSITORY_PREFIX}${bundle.name}`, tags: [OCI_TAG] };
  });
  router.all('/v2/{*rest}', (ctx) => {
    ctx.set('Docker-Distribution-API-Version', 'registry/2.0');
    if (ctx.method === 'GET' || ctx.method === 'HEAD') return ociError(ctx, 404, 'NAME_UNKNOWN', `nothing at ${ctx.path}: bundles are at /v2/bundles/<name>/`);
    ociError(ctx, 405, 'UNSUPPORTED', 'portcullis serves its bundles read-only; push to a registry instead');
  });
  return router;
}

function nameOf(ctx: Context): string {
  return String((ctx.params as Record<string, string>)['name']);
}

function send(ctx: Context, mediaType: string, digest: string, bytes: Uint8Array): void {
  ctx.set('Docker-Content-Digest', digest);
  ctx.set('Cache-Control', 'no-transform');
  // Set as a header, so Koa neither guesses a type from the Buffer nor adds a charset.
  ctx.set('Content-Type', mediaType);
  ctx.body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** An error in the distribution spec's shape, `{"errors":[{"code","message"}]}`, which registry clients read. */
function ociError(ctx: Context, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.body = { errors: [{ code, message }] };
}
