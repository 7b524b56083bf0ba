/**
 * Saving a sandbox to its data directory while it runs, shared by the HubSpot and Dataverse sandboxes: saves
 * are chained (never two at once), skipped when nothing changed since the last one (unless forced), made every
 * `intervalMs` and once more on close; a failed save is reported on stderr and the sandbox keeps serving.
 */
export interface DataSaver {
  /** Saves now if anything changed (or always, with `force`); resolves when that save is done. */
  persist(force: boolean): Promise<void>;
  /** Stops the periodic saves and makes the last one. */
  close(): Promise<void>;
}

export function startDataSaver(opts: {
  /** No directory: nothing is ever saved. */
  dataDir: string | undefined;
  what: string;
  intervalMs: number;
  /** A number that changes with every change of the sandbox's data. */
  version: () => number;
  /** The version already on disk (loaded from there), or -1 when the directory has never been saved to. */
  savedVersion: number;
  save: (dataDir: string) => Promise<void>;
}): DataSaver {
  const { dataDir } = opts;
  let savedVersion = opts.savedVersion;
  let saving: Promise<void> = Promise.resolve();
  const persist = (force: boolean) => {
    saving = saving
      .then(async () => {
        const version = opts.version();
        if (!dataDir || (!force && version === savedVersion)) return;
        await opts.save(dataDir);
        savedVersion = version;
      })
      .catch((err: unknown) => {
        process.stderr.write(`${opts.what}: saving ${String(dataDir)} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      });
    return saving;
  };
  const timer = dataDir ? setInterval(() => void persist(false), opts.intervalMs) : undefined;
  timer?.unref();
  return {
    persist,
    close: () => {
      if (timer) clearInterval(timer);
      return persist(false);
    },
  };
}
