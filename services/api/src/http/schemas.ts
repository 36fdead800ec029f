import { schemaRef, type JsonSchema } from './route-table.js';

/** A MongoDB ObjectId in hex: the form of every resource id in a path. */
export const ID_PATTERN = '^[a-f0-9]{24}$';

/** A cursor-paged list of `item` (`nextCursor`: null on the last page). */
export const pageOf = (item: JsonSchema): JsonSchema => ({
  type: 'object',
  properties: {
    items: { type: 'array', items: item },
    nextCursor: { type: ['string', 'null'] },
  },
  required: ['items', 'nextCursor'],
});

/** A page of job resources. */
export const jobPageSchema = pageOf(schemaRef('JobResource'));

/** A problem-document response of the given meaning. */
export const problemAnswer = (description: string) => ({
  description,
  contentType: 'application/problem+json',
});
