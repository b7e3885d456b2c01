/**
 * Checkpoints and savepoints on a file system (Flink's FsCheckpointStorageAccess, and Checkpoints.java
 * for the `_metadata` format).
 *
 * Layout: `<baseDir>/<jobId>/chk-<n>/` holds one state file per subtask (`v<vertex>-s<subtask>.state`,
 * the bytes of serializeSubtaskState) and `_metadata`, written last and atomically (temp file, fsync,
 * rename, fsync of the folder): a folder without a complete, valid `_metadata` is never used. A
 * savepoint is the same in `<targetDir>/savepoint-<first 6 of jobId>-<12 hex>/`. `_metadata` names its
 * files relative to its folder, so a checkpoint or savepoint folder can be moved or copied and still
 * restores.
 *
 * `_metadata` is one header line, `TIDEMARK-CHECKPOINT-METADATA v<format version> length=<body bytes>
 * sha256=<hex of body>`, then the body: JSON with the job, the checkpoint, its operators and, per
 * subtask, its state file's name, size and sha256.
 *
 * Every function here works only on the paths it is given (no shared mutable state): tasks call
 * writeSubtaskState in worker threads, the coordinator the rest.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, existsSync, mkdirSync, rmSync } from 'node:fs';
import { copyFile, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CheckpointRestoreException, IllegalArgumentException, IllegalStateException, describe, type RejectedCheckpoint } from '../../core/errors.ts';
import type { OperatorSnapshot } from '../../state/stream-task-state-initializer.ts';
import type { CompletedCheckpoint, OperatorStateEntry, PendingCommittables, SubtaskStateSnapshot } from './checkpoint-types.ts';
import { deserializeSubtaskState } from './state-serializer.ts';

export const METADATA_FILE_NAME = '_metadata';
/** The magic word `_metadata` starts with. */
export const METADATA_MAGIC = 'TIDEMARK-CHECKPOINT-METADATA';
/** The `_metadata` format this version writes (and the newest it reads). */
export const METADATA_FORMAT_VERSION = 1;

const METADATA_TEMP_FILE_NAME = '_metadata.inprogress';
const CHECKPOINT_DIR = /^chk-(\d+)$/;
/** Flink's savepoint folder name: `savepoint-<first 6 of the job id>-<12 hex>`. */
const SAVEPOINT_DIR = /^savepoint-.{0,6}-[0-9a-f]{12}$/;
/** How deep under a folder given to loadCompletedCheckpoint checkpoints are looked for. */
const MAX_SEARCH_DEPTH = 6;

/** A subtask's state file in a checkpoint folder (Flink's StreamStateHandle): relative name, size and sha256 (hex). */
export interface StateFileHandle {
  readonly file: string;
  readonly size: number;
  readonly checksum: string;
}

/** An operator as the checkpoint describes it. */
export interface CheckpointOperatorInfo {
  readonly operatorId: string;
  readonly operatorName: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
}

/** What `_metadata` says of the checkpoint besides its subtasks' files. */
export interface CheckpointMetadataHeader {
  readonly jobId: string;
  readonly jobName: string;
  readonly checkpointId: number;
  /** Epoch ms when the checkpoint was triggered. */
  readonly timestamp: number;
  readonly isSavepoint: boolean;
  /** Every operator of the job (all operators whose state is in the subtasks' files). */
  readonly operators: readonly CheckpointOperatorInfo[];
}

/** One acknowledged subtask: where its state is. */
export interface SubtaskStateHandle {
  readonly vertexId: number;
  readonly subtaskIndex: number;
  readonly finished: boolean;
  readonly handle: StateFileHandle;
}

/** The body of `_metadata`. */
interface CheckpointMetadata extends CheckpointMetadataHeader {
  readonly subtasks: ReadonlyArray<{ vertexId: number; subtaskIndex: number; finished: boolean; file: string; size: number; checksum: string }>;
}

/**
 * Where a job's checkpoints and savepoints go (Flink's FsCheckpointStorageAccess): checkpoints under
 * `<baseDir>/<jobId>/`, savepoints in a new folder under the target directory asked for.
 */
export class FsCheckpointStorage {
  /** `<baseDir>/<jobId>`, absolute. */
  readonly jobDirectory: string;

  constructor(
    baseDir: string,
    readonly jobId: string,
  ) {
    if (jobId === '' || /[/\\]/.test(jobId) || jobId === '.' || jobId === '..') throw new IllegalArgumentException(`Not a job id usable as a folder name: '${jobId}'`);
    this.jobDirectory = join(resolve(baseDir), jobId);
  }

  /**
   * Creates `<baseDir>/<jobId>/chk-<checkpointId>/` and returns its path. A folder of that id left
   * incomplete by an earlier attempt is emptied; a completed one is never overwritten.
   */
  initializeCheckpoint(checkpointId: number): string {
    if (!Number.isSafeInteger(checkpointId) || checkpointId < 0) throw new IllegalArgumentException(`Not a checkpoint id: ${checkpointId}`);
    mkdirSync(this.jobDirectory, { recursive: true });
    const dir = join(this.jobDirectory, `chk-${checkpointId}`);
    try {
      mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (existsSync(join(dir, METADATA_FILE_NAME))) {
        throw new IllegalStateException(`Checkpoint ${checkpointId} of job ${this.jobId} already completed in ${dir}: it is not overwritten`);
      }
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
    }
    return dir;
  }

  /** Creates `<targetDir>/savepoint-<first 6 of jobId>-<12 random hex>/` (as Flink names it) and returns its path. */
  initializeSavepoint(targetDir: string): string {
    const parent = resolve(targetDir);
    mkdirSync(parent, { recursive: true });
    for (;;) {
      const dir = join(parent, `savepoint-${this.jobId.slice(0, 6)}-${randomBytes(6).toString('hex')}`);
      try {
        mkdirSync(dir);
        return dir;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  }
}

/** The state file name of a subtask: `v<vertexId>-s<subtaskIndex>.state`. */
export function stateFileName(vertexId: number, subtaskIndex: number): string {
  if (!Number.isSafeInteger(vertexId) || vertexId < 0 || !Number.isSafeInteger(subtaskIndex) || subtaskIndex < 0) {
    throw new IllegalArgumentException(`Not a vertex id and subtask index: ${vertexId}, ${subtaskIndex}`);
  }
  return `v${vertexId}-s${subtaskIndex}.state`;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes a file and flushes it to disk before resolving. */
async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Flushes a folder's entries (a rename in it) to disk; not possible on Windows, where rename is durable enough. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes a subtask's state (the bytes of serializeSubtaskState) into a checkpoint folder and flushes
 * it to disk; returns its handle for the acknowledgement.
 */
export async function writeSubtaskState(location: string, vertexId: number, subtaskIndex: number, bytes: Uint8Array): Promise<StateFileHandle> {
  const file = stateFileName(vertexId, subtaskIndex);
  const checksum = sha256(bytes);
  await writeDurably(join(location, file), bytes);
  return { file, size: bytes.byteLength, checksum };
}

/**
 * Copies a state file of one checkpoint folder into another (a finished subtask's final state goes
 * into every later checkpoint, FLIP-147, and each folder stays self-contained); returns its handle there.
 */
export async function copySubtaskState(fromLocation: string, handle: StateFileHandle, toLocation: string): Promise<StateFileHandle> {
  checkFileName(handle.file);
  const target = join(toLocation, handle.file);
  await copyFile(join(fromLocation, handle.file), target, constants.COPYFILE_FICLONE);
  const fh = await open(target, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { file: handle.file, size: handle.size, checksum: handle.checksum };
}

function checkFileName(file: string): void {
  if (file === '' || file === '.' || file === '..' || /[/\\]/.test(file) || file === METADATA_FILE_NAME || file === METADATA_TEMP_FILE_NAME) {
    throw new IllegalArgumentException(`Not a state file name in a checkpoint folder: '${file}'`);
  }
}

/**
 * Writes `_metadata` (last: it makes the checkpoint complete), atomically: a temp file, flushed,
 * renamed to `_metadata`, and the folder flushed.
 */
export async function writeCheckpointMetadata(location: string, header: CheckpointMetadataHeader, subtasks: readonly SubtaskStateHandle[]): Promise<void> {
  const seen = new Set<string>();
  for (const s of subtasks) {
    checkFileName(s.handle.file);
    const at = `${s.vertexId}/${s.subtaskIndex}`;
    if (seen.has(at)) throw new IllegalArgumentException(`Subtask ${s.subtaskIndex} of vertex ${s.vertexId} is in the checkpoint twice`);
    seen.add(at);
  }
  const body: CheckpointMetadata = {
    jobId: header.jobId,
    jobName: header.jobName,
    checkpointId: header.checkpointId,
    timestamp: header.timestamp,
    isSavepoint: header.isSavepoint,
    operators: header.operators.map((o) => ({ operatorId: o.operatorId, operatorName: o.operatorName, parallelism: o.parallelism, maxParallelism: o.maxParallelism })),
    subtasks: subtasks.map((s) => ({
      vertexId: s.vertexId,
      subtaskIndex: s.subtaskIndex,
      finished: s.finished,
      file: s.handle.file,
      size: s.handle.size,
      checksum: s.handle.checksum,
    })),
  };
  const bodyBytes = Buffer.from(JSON.stringify(body), 'utf8');
  const head = Buffer.from(`${METADATA_MAGIC} v${METADATA_FORMAT_VERSION} length=${bodyBytes.length} sha256=${sha256(bodyBytes)}\n`, 'utf8');
  const temp = join(location, METADATA_TEMP_FILE_NAME);
  await writeDurably(temp, Buffer.concat([head, bodyBytes]));
  await rename(temp, join(location, METADATA_FILE_NAME));
  // The folder's entries (state files, _metadata) and the folder itself in its parent.
  await syncDirectory(location);
  await syncDirectory(dirname(location));
}

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** Reads and checks `_metadata` of a checkpoint folder. */
async function readMetadata(dir: string): Promise<Parsed<CheckpointMetadata>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, METADATA_FILE_NAME));
  } catch (e) {
    return { ok: false, problem: `${METADATA_FILE_NAME} cannot be read (${describe(e)})` };
  }
  const nl = bytes.indexOf(0x0a);
  const headLine = bytes.subarray(0, nl < 0 ? Math.min(bytes.length, 200) : nl).toString('utf8');
  const fields = headLine.split(' ');
  if (fields[0] !== METADATA_MAGIC) {
    return {
      ok: false,
      problem: bytes.length === 0 ? `${METADATA_FILE_NAME} is empty (truncated)` : `${METADATA_FILE_NAME} is not a tidemark checkpoint metadata file (it does not start with ${METADATA_MAGIC})`,
    };
  }
  const version = /^v(\d+)$/.exec(fields[1] ?? '');
  if (version === null) return { ok: false, problem: `${METADATA_FILE_NAME} is truncated or corrupted (no format version in its header)` };
  if (Number(version[1]) > METADATA_FORMAT_VERSION) {
    return { ok: false, problem: `${METADATA_FILE_NAME} has format version ${version[1]}; this version of tidemark reads up to version ${METADATA_FORMAT_VERSION}` };
  }
  const length = /^length=(\d+)$/.exec(fields[2] ?? '');
  const checksum = /^sha256=([0-9a-f]{64})$/.exec(fields[3] ?? '');
  if (nl < 0 || length === null || checksum === null || fields.length !== 4) {
    return { ok: false, problem: `${METADATA_FILE_NAME} is truncated or corrupted (its header line is incomplete)` };
  }
  const body = bytes.subarray(nl + 1);
  const expected = Number(length[1]);
  if (body.length < expected) return { ok: false, problem: `${METADATA_FILE_NAME} is truncated (${body.length} of ${expected} bytes after its header)` };
  if (body.length > expected) return { ok: false, problem: `${METADATA_FILE_NAME} is corrupted (${body.length} bytes after its header, ${expected} expected)` };
  if (sha256(body) !== checksum[1]) return { ok: false, problem: `${METADATA_FILE_NAME} is corrupted (its checksum does not match)` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (e) {
    return { ok: false, problem: `${METADATA_FILE_NAME} cannot be parsed (${describe(e)})` };
  }
  const malformed = checkMetadataShape(parsed);
  if (malformed !== undefined) return { ok: false, problem: `${METADATA_FILE_NAME} is malformed (${malformed})` };
  return { ok: true, value: parsed as CheckpointMetadata };
}

/** What is wrong with the shape of a parsed metadata body, if anything. */
function checkMetadataShape(m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null) return 'not an object';
  const o = m as Record<string, unknown>;
  for (const [k, t] of [
    ['jobId', 'string'],
    ['jobName', 'string'],
    ['checkpointId', 'number'],
    ['timestamp', 'number'],
    ['isSavepoint', 'boolean'],
  ] as const) {
    if (typeof o[k] !== t) return `${k} is not a ${t}`;
  }
  if (!Array.isArray(o.operators)) return 'operators is not a list';
  for (const op of o.operators as unknown[]) {
    const x = op as Record<string, unknown> | null;
    if (typeof x !== 'object' || x === null || typeof x.operatorId !== 'string' || typeof x.operatorName !== 'string' || typeof x.parallelism !== 'number' || typeof x.maxParallelism !== 'number') {
      return 'an operator lacks its id, name, parallelism or max parallelism';
    }
  }
  if (!Array.isArray(o.subtasks)) return 'subtasks is not a list';
  for (const st of o.subtasks as unknown[]) {
    const x = st as Record<string, unknown> | null;
    if (
      typeof x !== 'object' ||
      x === null ||
      typeof x.vertexId !== 'number' ||
      typeof x.subtaskIndex !== 'number' ||
      typeof x.finished !== 'boolean' ||
      typeof x.file !== 'string' ||
      typeof x.size !== 'number' ||
      typeof x.checksum !== 'string'
    ) {
      return 'a subtask lacks its vertex, index, finished flag, file, size or checksum';
    }
    // Relative names in the folder only: a metadata file never reaches outside its folder.
    if (x.file === '' || /[/\\]/.test(x.file) || x.file === '.' || x.file === '..') return `state file name '${x.file}' is not a file in the folder`;
  }
  return undefined;
}

/** Reads every state file of a checkpoint (checking size and checksum) and assembles the CompletedCheckpoint. */
async function readCheckpoint(dir: string, metadata: CheckpointMetadata): Promise<Parsed<CompletedCheckpoint>> {
  const snapshots: SubtaskStateSnapshot[] = [];
  for (const s of metadata.subtasks) {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, s.file));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { ok: false, problem: code === 'ENOENT' ? `state file ${s.file} is missing` : `state file ${s.file} cannot be read (${describe(e)})` };
    }
    if (bytes.length !== s.size) {
      return { ok: false, problem: `state file ${s.file} has ${bytes.length} bytes, ${METADATA_FILE_NAME} says ${s.size} (${bytes.length < s.size ? 'truncated' : 'corrupted'})` };
    }
    if (sha256(bytes) !== s.checksum) return { ok: false, problem: `state file ${s.file} is corrupted (its checksum does not match ${METADATA_FILE_NAME})` };
    let snapshot: SubtaskStateSnapshot;
    try {
      snapshot = deserializeSubtaskState(bytes);
    } catch (e) {
      return { ok: false, problem: `state file ${s.file} cannot be read (${describe(e)})` };
    }
    if (snapshot.vertexId !== s.vertexId || snapshot.subtaskIndex !== s.subtaskIndex) {
      return {
        ok: false,
        problem: `state file ${s.file} holds subtask ${snapshot.subtaskIndex} of vertex ${snapshot.vertexId}, ${METADATA_FILE_NAME} says subtask ${s.subtaskIndex} of vertex ${s.vertexId}`,
      };
    }
    // The metadata's flag is what the coordinator acknowledged.
    snapshots.push(snapshot.finished === s.finished ? snapshot : { ...snapshot, finished: s.finished });
  }
  snapshots.sort((a, b) => a.vertexId - b.vertexId || a.subtaskIndex - b.subtaskIndex);

  const parts = new Map<string, Array<{ subtaskIndex: number; snapshot: OperatorSnapshot; finished: boolean }>>();
  for (const s of snapshots) {
    for (const op of s.operators) {
      let list = parts.get(op.operatorId);
      if (list === undefined) parts.set(op.operatorId, (list = []));
      list.push({ subtaskIndex: s.subtaskIndex, snapshot: op, finished: s.finished });
    }
  }
  const operators: OperatorStateEntry[] = [];
  const finishedOperators: string[] = [];
  for (const info of metadata.operators) {
    const list = (parts.get(info.operatorId) ?? []).sort((a, b) => a.subtaskIndex - b.subtaskIndex);
    parts.delete(info.operatorId);
    if (list.length > 0 && (list.length !== info.parallelism || list.some((p, i) => p.subtaskIndex !== i))) {
      return {
        ok: false,
        problem: `operator '${info.operatorName}' (id '${info.operatorId}') has parallelism ${info.parallelism} but the state of subtasks [${list.map((p) => p.subtaskIndex).join(', ')}]`,
      };
    }
    operators.push({
      operatorId: info.operatorId,
      operatorName: info.operatorName,
      parallelism: info.parallelism,
      maxParallelism: info.maxParallelism,
      subtasks: list.map((p) => p.snapshot),
    });
    if (list.length > 0 && list.every((p) => p.finished)) finishedOperators.push(info.operatorId);
  }
  if (parts.size > 0) {
    return { ok: false, problem: `the state files hold operators ${METADATA_FILE_NAME} does not list: ${[...parts.keys()].map((id) => `'${id}'`).join(', ')}` };
  }
  const committables: PendingCommittables[] = snapshots.flatMap((s) => s.committables);
  return {
    ok: true,
    value: {
      jobId: metadata.jobId,
      jobName: metadata.jobName,
      checkpointId: metadata.checkpointId,
      timestamp: metadata.timestamp,
      isSavepoint: metadata.isSavepoint,
      operators,
      committables,
      finishedOperators,
      path: dir,
    },
  };
}

/** Checkpoint folders under `root`: complete ones (with `_metadata`) and in-progress ones. */
async function findCheckpointFolders(root: string): Promise<{ complete: string[]; inProgress: string[] }> {
  const complete: string[] = [];
  const inProgress: string[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // unreadable: nothing of ours there
    }
    if (entries.some((e) => e.name === METADATA_FILE_NAME && e.isFile())) {
      complete.push(dir);
      return;
    }
    const name = basename(dir);
    if (CHECKPOINT_DIR.test(name) || SAVEPOINT_DIR.test(name)) {
      inProgress.push(dir);
      return;
    }
    if (depth >= MAX_SEARCH_DEPTH) return;
    // Symbolic links are not followed below the folder given: no cycles, no reaching elsewhere.
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') await visit(join(dir, e.name), depth + 1);
  };
  await visit(root, 0);
  return { complete, inProgress };
}

/**
 * The newest complete checkpoint or savepoint at or under `path`: a savepoint folder, a `chk-<n>`
 * folder (or its `_metadata`), a job folder `<base>/<jobId>`, or any folder above (e.g. a checkpoint
 * directory holding several jobs' folders). Newest: the highest timestamp in its metadata, then the
 * highest checkpoint id. Its metadata checksum and every state file's size and checksum are checked;
 * a checkpoint that fails is logged (one line, with its path and what is wrong) and the next newest
 * is tried. Throws a CheckpointRestoreException when the folder is missing or nothing under it is usable.
 * The search goes up to MAX_SEARCH_DEPTH folders down, not into hidden folders, node_modules or
 * symbolic links.
 */
export async function loadCompletedCheckpoint(path: string, log?: (line: string) => void): Promise<CompletedCheckpoint> {
  let root = resolve(path);
  let info;
  try {
    info = await stat(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointRestoreException(
      code === 'ENOENT' ? `No checkpoint or savepoint at '${path}': the folder does not exist` : `Cannot read checkpoint folder '${path}': ${describe(e)}`,
      root,
      [],
      { cause: e },
    );
  }
  if (!info.isDirectory()) {
    if (basename(root) !== METADATA_FILE_NAME) throw new CheckpointRestoreException(`'${path}' is a file, not a checkpoint or savepoint folder`, root);
    root = dirname(root);
  }
  const { complete, inProgress } = await findCheckpointFolders(root);
  if (complete.length === 0) {
    const incomplete =
      inProgress.length === 0
        ? 'no folder with a _metadata file'
        : `only ${inProgress.length === 1 ? 'a checkpoint folder' : `${inProgress.length} checkpoint folders`} without ${METADATA_FILE_NAME} (${inProgress.join(', ')}): a checkpoint that did not complete is never used`;
    throw new CheckpointRestoreException(`No complete checkpoint or savepoint under '${path}': ${incomplete}`, root);
  }
  const rejected: RejectedCheckpoint[] = [];
  const reject = (dir: string, problem: string): void => {
    rejected.push({ path: dir, problem });
    log?.(`Skipping checkpoint ${dir}: ${problem}`);
  };
  const candidates: Array<{ dir: string; metadata: CheckpointMetadata }> = [];
  for (const dir of complete) {
    const m = await readMetadata(dir);
    if (m.ok) candidates.push({ dir, metadata: m.value });
    else reject(dir, m.problem);
  }
  candidates.sort((a, b) => b.metadata.timestamp - a.metadata.timestamp || b.metadata.checkpointId - a.metadata.checkpointId);
  for (const { dir, metadata } of candidates) {
    const c = await readCheckpoint(dir, metadata);
    if (c.ok) return c.value;
    reject(dir, c.problem);
  }
  const lines = rejected.map((r) => `\n  ${r.path}: ${r.problem}`).join('');
  throw new CheckpointRestoreException(
    `No usable checkpoint or savepoint under '${path}': ${rejected.length === 1 ? 'the only one found is' : `all ${rejected.length} found are`} incomplete or corrupted:${lines}`,
    root,
    rejected,
  );
}

/**
 * Retention (state.checkpoints.num-retained): deletes the completed `chk-<n>` folders of a job folder
 * beyond the newest `numRetained`, and in-progress ones (no `_metadata`) older than the newest
 * completed one — except those `inUse` says are still pending (one completing writes its `_metadata`
 * into its folder: removed under it, it fails, or leaves a `_metadata` without its state files).
 * Savepoints are never deleted.
 */
export async function retainCheckpoints(jobDir: string, numRetained: number, inUse: (checkpointId: number) => boolean = () => false): Promise<void> {
  if (!Number.isSafeInteger(numRetained) || numRetained < 1) throw new IllegalArgumentException(`state.checkpoints.num-retained must be at least 1, not ${numRetained}`);
  let entries;
  try {
    entries = await readdir(jobDir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const completed: Array<{ id: number; dir: string }> = [];
  const inProgress: Array<{ id: number; dir: string }> = [];
  for (const e of entries) {
    const m = e.isDirectory() ? CHECKPOINT_DIR.exec(e.name) : null;
    if (m === null) continue;
    const dir = join(jobDir, e.name);
    (existsSync(join(dir, METADATA_FILE_NAME)) ? completed : inProgress).push({ id: Number(m[1]), dir });
  }
  completed.sort((a, b) => b.id - a.id);
  const newest = completed[0]?.id ?? Number.NEGATIVE_INFINITY;
  const doomed = [...completed.slice(numRetained), ...inProgress.filter((c) => c.id < newest && !inUse(c.id))];
  await Promise.all(doomed.map((c) => rm(c.dir, { recursive: true, force: true })));
}

/** Deletes the folder of a checkpoint or savepoint that was declined (or failed to complete). */
export async function discardCheckpoint(location: string): Promise<void> {
  const name = basename(location);
  if (!CHECKPOINT_DIR.test(name) && !SAVEPOINT_DIR.test(name)) {
    throw new IllegalArgumentException(`Not a checkpoint or savepoint folder: '${location}' (only chk-<n> and savepoint-… folders are discarded)`);
  }
  await rm(location, { recursive: true, force: true });
}
