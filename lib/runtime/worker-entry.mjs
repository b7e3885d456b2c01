// Entry of a slot's worker thread: makes TypeScript importable (tsx), then runs the worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
