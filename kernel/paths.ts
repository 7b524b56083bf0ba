/** Project paths, resolved from this file's place in the repository. */
import path from 'node:path';

/** The repository root: `.hubsync/` (local state) and `db/migrations` are resolved from it. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'db', 'migrations');
