import { currentUser } from '../auth/middleware.js';
import { ownerScope } from '../auth/user.js';
import type { ApiDeps } from '../deps.js';
import { notFound } from '../http/problem.js';
import { route, type AnyRoute } from '../http/route-table.js';
import { ID_PATTERN } from '../http/schemas.js';

/**
 * `GET /v1/artifacts/{id}`: any stored artifact of the caller's by its id, as a download with
 * the content type it was stored with — a job's main result (also at `/v1/jobs/{id}/result`)
 * and the extra files a result names, such as a report's `csvArtifactId`. Another owner's
 * artifact is 404 (admins read all).
 */
export function artifactRoutes(deps: ApiDeps): AnyRoute[] {
  const download = route({
    method: 'get',
    path: '/v1/artifacts/{id}',
    tag: 'jobs',
    summary: "Download an artifact of yours by id (e.g. a report result's csvArtifactId)",
    auth: 'token',
    params: { id: ID_PATTERN },
    responses: {
      200: { description: 'The artifact, with the content type it was stored with' },
    },
    handler: async (ctx) => {
      const id = ctx.params['id'] ?? '';
      const file = await deps.artifacts.find(id, ownerScope(currentUser(ctx)));
      if (!file) throw notFound('artifact');
      ctx.type = file.contentType;
      ctx.length = file.length;
      ctx.attachment(file.filename);
      ctx.body = deps.artifacts.openRead(id);
    },
  });
  return [download];
}
