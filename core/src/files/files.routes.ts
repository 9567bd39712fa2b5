import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppError } from "../errors";
import { policy, uploadGuard } from "../http/policy";
import { CursorParam, ctxOf, errorResponses, IdParam, json, Limit, page, Uuid } from "../http/route-kit";
import type { App, AppEnv, SignedInEnv } from "../http/types";
import { sanitizeName } from "../lib/http-file";
import { boundaryOf, filePart } from "../lib/multipart";
import { registerFileContent } from "./file-content.routes";
import * as files from "./files";
import { setKeepLocation } from "./keep-location";
import { createFileUrl, MAX_URL_TTL_S } from "./signed-urls";

const File = z
  .object({
    id: Uuid,
    name: z.string().nullable(),
    mime: z.string().openapi({ description: "The type sniffed from the bytes, not the one declared" }),
    size: z.number().int(),
    sha256: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
  })
  .openapi("File");

const SignedUrl = z.object({ url: z.string(), expiresAt: z.string() }).openapi("SignedFileUrl");
const FilePatch = z
  .object({
    keepLocation: z.boolean().openapi({ description: "Keep EXIF GPS in the image derivatives (they are remade)" }),
  })
  .strict()
  .openapi("FilePatch");
const SignedUrlRequest = z
  .object({
    expiresInSeconds: z.number().int().min(1).max(MAX_URL_TTL_S).default(3600),
    size: z
      .union([z.literal(320), z.literal(1280)])
      .optional()
      .openapi({ description: "Link to this image derivative instead of the original" }),
  })
  .strict()
  .openapi("SignedFileUrlRequest");

const uploadErrors = {
  ...errorResponses,
  413: json(z.object({}).passthrough(), "Larger than MAX_FILE_BYTES or the remaining quota"),
  415: json(z.object({}).passthrough(), "Not multipart/form-data (POST) or no Content-Type (PUT)"),
  422: json(z.object({}).passthrough(), "Empty, or a declared image type the bytes do not match"),
};

const tags = ["files"];
const KeepLocationQuery = z
  .enum(["true", "false"])
  .optional()
  .openapi({ description: "true keeps EXIF GPS in the served image derivatives; default false strips it" });

async function handleUpload(c: Context<AppEnv & SignedInEnv>, kind: "multipart" | "raw") {
  const ctx = ctxOf(c, "files:write");
  // Checked before any of the body is read.
  const keepLocation = c.req.query("keepLocation");
  if (keepLocation !== undefined && keepLocation !== "true" && keepLocation !== "false") {
    throw new AppError("VALIDATION_FAILED", "keepLocation must be true or false", [{ path: "keepLocation", message: "true or false" }]);
  }
  const raw = c.req.raw.body;
  if (!raw) throw new AppError("UNPROCESSABLE", "The file is empty");
  let input: Omit<files.UploadInput, "signal">;
  if (kind === "multipart") {
    const boundary = boundaryOf(c.req.header("content-type"));
    if (!boundary) throw new AppError("UNSUPPORTED_MEDIA_TYPE", "POST /v1/files takes multipart/form-data; PUT takes the raw bytes");
    const part = await filePart(raw, boundary, "file");
    input = { body: part.body, declaredType: part.type, name: sanitizeName(part.filename) };
  } else {
    const declaredType = c.req.header("content-type") ?? null;
    if (!declaredType) throw new AppError("UNSUPPORTED_MEDIA_TYPE", "PUT /v1/files needs the file's Content-Type");
    input = { body: raw, declaredType, name: sanitizeName(c.req.query("name")) };
  }
  // The request's length bounds the file's: the quota reserved while it streams (none: all the room left).
  const length = Number(c.req.header("content-length") ?? Number.NaN);
  const declaredLength = Number.isSafeInteger(length) && length >= 0 ? length : null;
  const { file, created } = await files.upload({
    ctx,
    input: { ...input, keepLocation: keepLocation === "true", declaredLength, signal: c.req.raw.signal },
  });
  return c.json(file, created ? 201 : 200);
}

export function registerFiles(app: App) {
  // The upload routes are documented here but not declared through createRoute: its form validator
  // would parse (and buffer) the whole body before the handler could stream it.
  const uploaded = {
    201: json(File, "Stored"),
    200: json(File, "Identical bytes were already stored: the existing file"),
    ...uploadErrors,
  };
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/v1/files",
    tags,
    security: policy.signedIn.security,
    description: "Upload as multipart/form-data with the file in the `file` field; streamed, never buffered whole.",
    request: {
      query: z.object({ keepLocation: KeepLocationQuery }),
      body: {
        content: { "multipart/form-data": { schema: z.object({ file: z.string().openapi({ format: "binary" }) }) } },
        required: true,
      },
    },
    responses: uploaded,
  });
  app.openAPIRegistry.registerPath({
    method: "put",
    path: "/v1/files",
    tags,
    security: policy.signedIn.security,
    description: "Upload the raw bytes as the body, with the file's Content-Type; `name` is the original file name.",
    request: {
      query: z.object({ name: z.string().max(1024).optional(), keepLocation: KeepLocationQuery }),
      body: { content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } }, required: true },
    },
    responses: uploaded,
  });
  app.post("/v1/files", uploadGuard, (c) => handleUpload(c, "multipart"));
  app.put("/v1/files", uploadGuard, (c) => handleUpload(c, "raw"));

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/files",
      tags,
      ...policy.signedIn,
      request: {
        query: z.object({
          limit: Limit,
          cursor: CursorParam,
          entryId: Uuid.optional().openapi({ description: "Only the files attached to this entry of yours" }),
        }),
      },
      responses: { 200: json(page(File, "FilePage"), "A page of files, newest first"), ...errorResponses },
    }),
    async (c) => c.json(await files.listFiles({ ctx: ctxOf(c, "files:read"), input: c.req.valid("query") }), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/files/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam },
      responses: { 200: json(File, "The file's metadata"), ...errorResponses },
    }),
    async (c) => c.json(await files.getFile({ ctx: ctxOf(c, "files:read"), input: c.req.valid("param") }), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/files/{id}",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, body: { content: { "application/json": { schema: FilePatch } }, required: true } },
      responses: { 200: json(File, "The file, with its new setting"), ...errorResponses },
    }),
    async (c) =>
      c.json(
        await setKeepLocation({
          ctx: ctxOf(c, "files:write"),
          input: { id: c.req.valid("param").id, keepLocation: c.req.valid("json").keepLocation },
        }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/files/{id}",
      tags,
      ...policy.signedIn,
      request: {
        params: IdParam,
        query: z.object({ purge: z.enum(["true", "false"]).optional().openapi({ description: "true also removes the bytes" }) }),
      },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      await files.deleteFile({
        ctx: ctxOf(c, "files:write"),
        input: { id: c.req.valid("param").id, purge: c.req.valid("query").purge === "true" },
      });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/files/{id}/url",
      tags,
      ...policy.signedIn,
      request: { params: IdParam, body: { content: { "application/json": { schema: SignedUrlRequest } }, required: false } },
      responses: { 201: json(SignedUrl, "A URL that serves the file without a token until it expires"), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const input = { id: c.req.valid("param").id, ttlSeconds: body?.expiresInSeconds ?? 3600, size: body?.size };
      return c.json(await createFileUrl({ ctx: ctxOf(c, "files:read"), input }), 201);
    },
  );

  registerFileContent(app);
}
