/**
 * `docker compose` for validating docker-compose.yml: the Docker CLI's own compose plugin when it is
 * installed; otherwise the pinned Compose v2, built once from the Go module proxy into the per-user cache
 * and handed to the Docker CLI as a plugin through DOCKER_CONFIG/cli-plugins. `docker compose config`
 * needs no Docker engine.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { goInstallCached } from '../../local/go-tool';

export const COMPOSE_VERSION = 'v2.29.7';

/** Environment under which `docker compose` works (empty when the plugin is installed already). */
export async function ensureDockerCompose(cacheDir: string, log: (line: string) => void): Promise<NodeJS.ProcessEnv> {
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) return {};
  const dockerConfig = path.join(cacheDir, 'docker-compose', COMPOSE_VERSION);
  await goInstallCached(
    { module: 'github.com/docker/compose/v2/cmd', version: COMPOSE_VERSION, builtName: 'cmd', target: path.join(dockerConfig, 'cli-plugins', 'docker-compose') },
    log,
  );
  return { DOCKER_CONFIG: dockerConfig };
}
