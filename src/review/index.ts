// Policy review for pull requests: builds the policies of two git refs,
// checks the new version with opa and Regal, replays recorded inputs through
// both in worker threads and reports what the change does to the decisions.

export { runReview, failures, REVIEW_ENTRYPOINT } from './run.js';
export type { ReviewOptions } from './run.js';
export { resolveRegal } from './regal.js';
export { replay } from './replay.js';
export type { ReplayOptions } from './replay.js';
export type { ReplaySetup } from './evaluator.js';
export { summarize } from './summary.js';
export { loadCorpus } from './corpus.js';
export { loadDecisions, parseEvents } from './decision-log.js';
export { formatReviewMarkdown } from './markdown.js';
export { formatReviewSarif } from './sarif.js';
export type * from './model.js';

/** `--output` formats of `portcullis review`. */
export const REVIEW_FORMATS = ['markdown', 'json', 'sarif'] as const;
export const FAIL_ON = ['newly-denied', 'any-change', 'never'] as const;
