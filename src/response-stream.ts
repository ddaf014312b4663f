// The writable stream a streaming handler writes its response to, and the HTTP-integration
// prelude (`awslambda.HttpResponseStream`). Bytes go to the Runtime API as they are written,
// with back-pressure: a slow reader slows the handler instead of filling memory.

import { Writable } from 'node:stream';
import type { ClientRequest } from 'node:http';
import { INVALID_STREAMING_OPERATION, LambdaError, errorTypeHeader, toErrorBody } from './errors.ts';

export const DEFAULT_STREAM_CONTENT_TYPE = 'application/octet-stream';
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const PRELUDE_DELIMITER = new Uint8Array(8);

/** Opens the streaming POST once the content type is final. */
export type OpenStream = (contentType: string) => ClientRequest;

export class ResponseStream extends Writable {
  readonly #open: OpenStream;
  #contentType = DEFAULT_STREAM_CONTENT_TYPE;
  #prelude: Uint8Array[] | undefined;
  #request: ClientRequest | undefined;

  constructor(open: OpenStream, highWaterMark: number | undefined) {
    super(highWaterMark === undefined ? {} : { highWaterMark });
    this.#open = open;
  }

  setContentType(contentType: string): void {
    if (this.#request) {
      throw new LambdaError(INVALID_STREAMING_OPERATION, 'Cannot set content-type, too late.');
    }
    this.#contentType = contentType;
  }

  /** Whether any byte (or the request's headers) has gone to the Runtime API. */
  get started(): boolean {
    return this.#request !== undefined;
  }

  setPrelude(parts: Uint8Array[]): void {
    this.#prelude = parts;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#started().write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#started().end(callback);
  }

  /**
   * Ends the response with the error in trailers: the only way once bytes have been sent. Also
   * after this stream was destroyed (a failed pipeline() destroys its destination): the request
   * is still open then, and the trailers are what tells the caller. Does nothing once the request
   * has ended or failed: the body is complete, or the connection is gone.
   */
  failWithTrailers(error: unknown): void {
    const request = this.#started();
    if (request.writableEnded || request.destroyed) return;
    const body = toErrorBody(error);
    request.addTrailers({
      'Lambda-Runtime-Function-Error-Type': errorTypeHeader(body),
      'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(body)).toString('base64'),
    });
    request.end();
  }

  #started(): ClientRequest {
    if (this.#request) return this.#request;
    const request = this.#open(this.#contentType);
    this.#request = request;
    request.on('error', (error) => this.destroy(error));
    for (const part of this.#prelude ?? []) request.write(part);
    return request;
  }
}

/** `awslambda.HttpResponseStream`: a JSON prelude (status, headers, cookies) ahead of the body. */
export class HttpResponseStream {
  static from(stream: ResponseStream, prelude: unknown): ResponseStream {
    stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    stream.setPrelude([Buffer.from(JSON.stringify(prelude)), PRELUDE_DELIMITER]);
    return stream;
  }
}
