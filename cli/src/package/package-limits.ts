// Lambda's size quotas for a function zip, checked by `package` before it writes anything
// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): 50 MB for a zip
// uploaded directly (CreateFunction/UpdateFunctionCode with ZipFile; through S3 a bigger zip is
// fine), and 250 MB for the code unzipped, including every layer the function uses (a hard limit:
// the function cannot be created).
import { entrySize } from '../../../build/zip.ts';
import type { ZipEntry } from '../../../build/zip.ts';
import { ToolError } from '../build-binary.ts';

/** Lambda's quota for a zip uploaded directly (bytes; AWS writes 50 MB and means MiB). */
export const MAX_DIRECT_UPLOAD_BYTES = 50 * 1024 * 1024;
/** Lambda's quota for the function's code plus its layers, unzipped (bytes). */
export const MAX_UNZIPPED_BYTES = 250 * 1024 * 1024;

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * Refuses, before any file is read, a zip whose entries unzip to more than Lambda takes, naming
 * the largest files. `entries`' sizes are stat's. Errors: ToolError.
 */
export function checkUnzippedSize(entries: readonly ZipEntry[], root: string): number {
  const total = entries.reduce((n, e) => n + entrySize(e), 0);
  if (total <= MAX_UNZIPPED_BYTES) return total;
  const largest = [...entries].sort((a, b) => entrySize(b) - entrySize(a)).slice(0, 5);
  throw new ToolError(
    `package: ${root} would unzip to ${total} bytes (${mb(total)}), over Lambda's ${MAX_UNZIPPED_BYTES}-byte (250 MB) limit for a function's code and its layers together; ` +
      `the largest: ${largest.map((e) => `${e.name} (${mb(entrySize(e))})`).join(', ')}. Leave files out with --exclude or .lambdaignore, or ship a container image (up to 10 GB)`,
  );
}

/** The warning for a zip over the direct-upload quota, or undefined. */
export function directUploadWarning(zipBytes: number): string | undefined {
  if (zipBytes <= MAX_DIRECT_UPLOAD_BYTES) return undefined;
  return `the zip is ${zipBytes} bytes (${mb(zipBytes)}), over the ${MAX_DIRECT_UPLOAD_BYTES}-byte limit of a direct upload: upload it through S3, or use the layer (lambda-bootstrap layer) and zip only your code`;
}
