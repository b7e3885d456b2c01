/**
 * A real Apache Kafka broker for tests and examples: one combined broker + controller node (KRaft) on
 * 127.0.0.1, run from the jars Maven fetches (pom.xml beside this file) with server.properties beside this
 * file. `npm run kafka:start` / `npm run kafka:stop` call this file; the Kafka tests' vitest globalSetup
 * imports it. Everything it writes lives under `.kafka/` at the repository root (ignored by git):
 * `lib/` (the jars), `data/` (KRaft storage), `broker.pid`, `broker.log`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '../../..');
export const KAFKA_DIR = path.join(REPO_ROOT, '.kafka');
const LIB_DIR = path.join(KAFKA_DIR, 'lib');
const DATA_DIR = path.join(KAFKA_DIR, 'data');
const PID_FILE = path.join(KAFKA_DIR, 'broker.pid');
/** Written by the Kafka tests' setup when a test run owns the broker; a broker started or stopped here has no such owner. */
const TEST_OWNER_FILE = path.join(KAFKA_DIR, 'test-owner');
const LOCK_FILE = path.join(KAFKA_DIR, 'start.lock');
export const LOG_FILE = path.join(KAFKA_DIR, 'broker.log');
const CONFIG_FILE = path.join(KAFKA_DIR, 'server.properties');
const POM = path.join(HERE, 'pom.xml');
const MARKER_JAR = path.join(LIB_DIR, 'kafka_2.13-3.9.1.jar');

/**
 * The broker's client port (its controller listens on the next one). TIDEMARK_KAFKA_PORT moves both, so two
 * checkouts (or a CI clone beside a developer's broker) can each run their own broker at once.
 */
export const BROKER_PORT = brokerPort(process.env.TIDEMARK_KAFKA_PORT);
/** The address clients connect to (server.properties' PLAINTEXT listener). */
export const BOOTSTRAP_SERVERS = `127.0.0.1:${BROKER_PORT}`;

function brokerPort(value: string | undefined): number {
  if (value === undefined || value === '') return 39092;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1024 || port > 65534) {
    throw new Error(`TIDEMARK_KAFKA_PORT must be a port number from 1024 to 65534 (the controller takes the next one), not '${value}'`);
  }
  return port;
}
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
// Small heap: the machine has 2 cores and the test suite runs beside the broker.
const JVM_OPTS = ['-Xmx512m', '-Xms128m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true'];

export interface Prerequisites {
  readonly ok: boolean;
  /** Why the broker cannot run here (no java, or no jars and no mvn to fetch them). */
  readonly missing?: string;
}

function commandWorks(cmd: string, args: readonly string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** Whether this machine can run the broker: java, and the jars or mvn to fetch them. */
export function checkPrerequisites(): Prerequisites {
  if (!commandWorks('java', ['-version'])) return { ok: false, missing: '`java` (17 or newer) is not on PATH' };
  if (!fs.existsSync(MARKER_JAR) && !commandWorks('mvn', ['-v'])) {
    return { ok: false, missing: 'the Kafka jars are not in .kafka/lib and `mvn` is not on PATH to fetch them' };
  }
  return { ok: true };
}

/** Fetches the broker's jars from Maven Central into .kafka/lib unless they are there. */
export function ensureJars(): void {
  if (fs.existsSync(MARKER_JAR)) return;
  const r = spawnSync('mvn', ['-q', '-B', '-f', POM, 'package'], { stdio: 'inherit' });
  if (r.error !== undefined || r.status !== 0 || !fs.existsSync(MARKER_JAR)) {
    throw new Error(`fetching the Kafka jars failed (mvn -f ${path.relative(REPO_ROOT, POM)} package exited ${r.status})`);
  }
}

function readPid(): number | undefined {
  try {
    const pid = Number(fs.readFileSync(PID_FILE, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the broker this repository started, if it still runs. */
export function runningPid(): number | undefined {
  const pid = readPid();
  return pid !== undefined && alive(pid) ? pid : undefined;
}

/** Whether a broker answers a metadata request at `bootstrap` within `timeoutMs`. */
export async function brokerAnswers(bootstrap = BOOTSTRAP_SERVERS, timeoutMs = 2_000): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'tidemark-broker-check',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1_000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    return brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function logTail(lines = 30): string {
  try {
    return fs.readFileSync(LOG_FILE, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no broker log)';
  }
}

/** A Kafka Uuid as `kafka-storage random-uuid` prints it: 16 random bytes, base64url without padding. */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // a leading '-' would read as an option
  }
}

function writeConfig(): void {
  // The committed file names the default ports; TIDEMARK_KAFKA_PORT moves them.
  const base = fs
    .readFileSync(path.join(HERE, 'server.properties'), 'utf8')
    .replaceAll('127.0.0.1:39092', BOOTSTRAP_SERVERS)
    .replaceAll('127.0.0.1:39093', `127.0.0.1:${BROKER_PORT + 1}`);
  fs.writeFileSync(CONFIG_FILE, `${base}\n# added by broker.ts\nlog.dirs=${DATA_DIR}\n`);
}

function formatStorage(): void {
  fs.rmSync(DATA_DIR, { recursive: true, force: true });
  const r = spawnSync(
    'java',
    [...JVM_OPTS, `-Dlog4j.configuration=file:${path.join(HERE, 'log4j.properties')}`, '-cp', `${LIB_DIR}/*`,
      'kafka.tools.StorageTool', 'format', '-t', randomClusterId(), '-c', CONFIG_FILE],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`kafka StorageTool format failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One starter at a time (test workers and a user may race): an exclusive lock file, stale after 3 min. */
async function withStartLock<T>(fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(KAFKA_DIR, { recursive: true });
  const deadline = Date.now() + START_TIMEOUT_MS + 60_000;
  for (;;) {
    try {
      fs.writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = Date.now() - fs.statSync(LOCK_FILE, { throwIfNoEntry: false })!.mtimeMs;
      if (age > 180_000) fs.rmSync(LOCK_FILE, { force: true });
      else if (Date.now() > deadline) throw new Error(`another process holds ${LOCK_FILE}`);
      else await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK_FILE, { force: true });
  }
}

export interface StartResult {
  readonly bootstrapServers: string;
  /** False when a broker of this repository was already running (this call started nothing). */
  readonly started: boolean;
  readonly pid: number;
}

export interface StartOptions {
  /** Format the storage anew (all topics gone). Default: keep the data of an earlier run. */
  readonly fresh?: boolean;
}

/**
 * Starts the broker detached (it outlives this process) unless one of this repository runs, and resolves
 * once it answers a metadata request. Fails if something else holds the port.
 */
export async function startBroker(options: StartOptions = {}): Promise<StartResult> {
  return withStartLock(async () => {
    const existing = runningPid();
    if (existing !== undefined) {
      await waitUntilAnswering(existing);
      return { bootstrapServers: BOOTSTRAP_SERVERS, started: false, pid: existing };
    }
    if (await brokerAnswers(BOOTSTRAP_SERVERS, 1_000)) {
      throw new Error(`something else already answers at ${BOOTSTRAP_SERVERS} (not the broker of ${REPO_ROOT}); stop it first`);
    }
    const prerequisites = checkPrerequisites();
    if (!prerequisites.ok) throw new Error(`cannot start Kafka: ${prerequisites.missing}`);
    ensureJars();
    writeConfig();
    if (options.fresh === true || !fs.existsSync(path.join(DATA_DIR, 'meta.properties'))) formatStorage();
    const log = fs.openSync(LOG_FILE, 'a');
    const child = spawn(
      'java',
      [...JVM_OPTS, `-Dlog4j.configuration=file:${path.join(HERE, 'log4j.properties')}`,
        `-Dkafka.logs.dir=${KAFKA_DIR}`, '-cp', `${LIB_DIR}/*`, 'kafka.Kafka', CONFIG_FILE],
      { detached: true, stdio: ['ignore', log, log], cwd: KAFKA_DIR },
    );
    fs.closeSync(log);
    if (child.pid === undefined) throw new Error('could not spawn java');
    fs.rmSync(TEST_OWNER_FILE, { force: true });
    child.unref();
    fs.writeFileSync(PID_FILE, String(child.pid));
    await waitUntilAnswering(child.pid);
    return { bootstrapServers: BOOTSTRAP_SERVERS, started: true, pid: child.pid };
  });
}

async function waitUntilAnswering(pid: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!alive(pid)) throw new Error(`the Kafka broker (pid ${pid}) exited while starting; ${LOG_FILE} ends:\n${logTail()}`);
    if (await brokerAnswers()) return;
    await sleep(250);
  }
  throw new Error(`the Kafka broker (pid ${pid}) did not answer within ${START_TIMEOUT_MS} ms; ${LOG_FILE} ends:\n${logTail()}`);
}

/** Stops the broker this repository started: SIGTERM (a clean shutdown), SIGKILL after 30 s. */
export async function stopBroker(): Promise<{ readonly stopped: boolean; readonly pid?: number }> {
  const pid = runningPid();
  fs.rmSync(TEST_OWNER_FILE, { force: true });
  if (pid === undefined) {
    fs.rmSync(PID_FILE, { force: true });
    return { stopped: false };
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) {
    process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(50);
  }
  fs.rmSync(PID_FILE, { force: true });
  return { stopped: true, pid };
}

async function main(argv: readonly string[]): Promise<number> {
  const command = argv[0];
  if (command === 'start') {
    const result = await startBroker({ fresh: argv.includes('--fresh') });
    if (result.started) console.log(`Kafka broker started (pid ${result.pid}); bootstrap servers: ${result.bootstrapServers}`);
    else console.log(`Kafka broker already running (pid ${result.pid}); bootstrap servers: ${result.bootstrapServers}`);
    return 0;
  }
  if (command === 'stop') {
    const result = await stopBroker();
    console.log(result.stopped ? `Kafka broker (pid ${result.pid}) stopped` : 'no Kafka broker of this repository is running');
    return 0;
  }
  if (command === 'status') {
    const pid = runningPid();
    console.log(pid === undefined ? 'not running' : `running (pid ${pid}); bootstrap servers: ${BOOTSTRAP_SERVERS}`);
    return pid === undefined ? 1 : 0;
  }
  console.error('usage: tsx connectors/kafka/broker/broker.ts start [--fresh] | stop | status');
  return 2;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exit(1);
    },
  );
}
