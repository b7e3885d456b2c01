/** What file sinks and sources share: their errors, errno explanations, durable renames. */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { registerErrorClass, TidemarkError } from '../../lib/core/errors.ts';

export function explain(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    EEXIST: 'file already exists',
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EFBIG: 'file too large',
    EROFS: 'read-only file system',
    EIO: 'input/output error',
  };
  return err.code ? `${reasons[err.code] ?? err.message} (${err.code})` : String(e);
}

/** A file sink's error: names the output file and what went wrong (with the errno code, e.g. ENOSPC). */
export class FileSinkError extends TidemarkError {
  override name = 'FileSinkError';
  constructor(
    message: string,
    /** The output file (its final name). */
    readonly path: string,
    readonly code?: string,
  ) {
    super(message);
  }
}
registerErrorClass(FileSinkError);

/** A FileSinkError caused by `cause` (an errno error gives its code). */
export function fileSinkError(message: string, path: string, cause?: unknown): FileSinkError {
  const err = new FileSinkError(message, path, (cause as NodeJS.ErrnoException | undefined)?.code);
  if (cause !== undefined) (err as Error & { cause?: unknown }).cause = cause;
  return err;
}

/** Makes a rename durable; some file systems cannot fsync a directory, which is not an error here. */
export function syncDirectory(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
