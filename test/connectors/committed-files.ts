/** What a reader of a FileSink's output folder sees: the lines of every file whose name does not start with '.' or '_', in every bucket. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function committedLines(dir: string): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name.startsWith('.') || name.startsWith('_')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...committedLines(path));
    else out.push(...readFileSync(path, 'utf8').split('\n').filter((l) => l !== ''));
  }
  return out;
}

/** Every file name under `dir`, relative to it, hidden ones too. */
export function allFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...allFiles(path, `${prefix}${name}/`));
    else out.push(`${prefix}${name}`);
  }
  return out.sort();
}
