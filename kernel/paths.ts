/** Project paths, resolved from this file's place in the package: the same from the sources and from `dist/`. */
import fs from 'node:fs';
import path from 'node:path';

/** The nearest directory at or above `start` holding a package.json (the package root), else `start`. */
function packageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}

/**
 * The package root, where `.hubsync/` (local state) is: the repository when running from the sources,
 * and the same directory for compiled code, whose kernel/ is one level deeper (`dist/kernel/`).
 */
export const PROJECT_ROOT = packageRoot(path.resolve(__dirname, '..'));

/** The SQL migrations: `db/migrations` beside kernel/ (`npm run build` copies them to `dist/db/migrations`). */
export const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'db', 'migrations');
