import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { koaBody } from 'koa-body';
import type { Request } from 'koa';
import { currentUser } from '../auth/middleware.js';
import type { ApiDeps } from '../deps.js';
import { ProblemError } from '../http/problem.js';
import { route, type AnyRoute } from '../http/route-table.js';

type UploadedFile = NonNullable<Request['files']>[string];

const badUpload = (message: string) =>
  new ProblemError(
    400,
    'Invalid upload',
    'send multipart/form-data with one file in the field `file`',
    [{ field: 'file', message }],
  );

/**
 * `POST /v1/uploads`: one multipart file in the field `file`, spooled by formidable to a temp
 * file (bounded by `UPLOAD_LIMIT_BYTES`, 413 beyond), then streamed into GridFS with the
 * caller as owner. Temp files are always removed.
 */
export function uploadRoutes(deps: ApiDeps): AnyRoute {
  const multipart = koaBody({
    multipart: true,
    json: false,
    urlencoded: false,
    text: false,
    formidable: {
      maxFileSize: deps.config.UPLOAD_LIMIT_BYTES,
      maxTotalFileSize: deps.config.UPLOAD_LIMIT_BYTES,
      maxFieldsSize: 64 * 1024,
      allowEmptyFiles: true,
      minFileSize: 0,
    },
  });
  return route({
    method: 'post',
    path: '/v1/uploads',
    tag: 'uploads',
    summary: 'Upload a data source file (multipart field `file`) for data.process jobs',
    auth: 'token',
    before: [multipart],
    body: {
      contentType: 'multipart/form-data',
      required: true,
      schema: {
        type: 'object',
        properties: { file: { type: 'string', contentMediaType: 'application/octet-stream' } },
        required: ['file'],
      },
    },
    responses: {
      201: {
        description: 'Stored',
        schema: {
          type: 'object',
          properties: {
            uploadId: { type: 'string' },
            filename: { type: 'string' },
            bytes: { type: 'integer' },
            contentType: { type: 'string' },
          },
          required: ['uploadId', 'filename', 'bytes', 'contentType'],
        },
      },
      400: { description: 'No file, or not exactly one', contentType: 'application/problem+json' },
    },
    handler: async (ctx) => {
      const user = currentUser(ctx);
      const files = ctx.request.files ?? {};
      const temp = Object.values(files).flatMap((f: UploadedFile) => (Array.isArray(f) ? f : [f]));
      try {
        if (!ctx.is('multipart')) throw badUpload('the request is not multipart/form-data');
        const entry = files['file'];
        if (entry === undefined) throw badUpload('is required');
        if (Array.isArray(entry) || temp.length !== 1) throw badUpload('send exactly one file');
        const filename = entry.originalFilename ?? 'upload';
        const contentType = entry.mimetype ?? 'application/octet-stream';
        const { id, stream } = deps.uploads.openWrite(filename, { contentType, owner: user.sub });
        await pipeline(createReadStream(entry.filepath), stream);
        ctx.status = 201;
        ctx.body = { uploadId: id, filename, bytes: entry.size, contentType };
      } finally {
        await Promise.all(temp.map((f) => unlink(f.filepath).catch(() => undefined)));
      }
    },
  });
}
