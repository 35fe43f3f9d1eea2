import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * Starts a worker thread on a module given next to its caller: the built
 * `.js`, or under tsx (tests run sources) the `.ts`. Node 20 does not carry
 * --import hooks into workers, so a source worker registers tsx itself.
 */
export function startModuleWorker(callerUrl: string, name: string, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  const limits = resourceLimits ? { resourceLimits } : {};
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), { workerData, ...limits });
  const source = JSON.stringify(new URL(`./${name}.ts`, callerUrl).href);
  const code = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${source}); });`;
  return new Worker(code, { eval: true, workerData, ...limits });
}
