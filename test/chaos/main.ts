/**
 * `npm run chaos -- [--trials N] [--seed S] [--records M] [--only K[,K…]] [--json FILE]`: the chaos campaign
 * (test/chaos/campaign.ts). Prints the seed first (a failed trial runs again alone with `--seed S --only K`),
 * progress on stderr, then the table and the closing `N passed, M failed` line on stdout; exit code 1 when any
 * trial failed (or the campaign itself could not run).
 */
import fs from 'node:fs';
import { errorText } from '../../bench/processes';
import { runCampaign } from './campaign';

const USAGE = `npm run chaos -- [--trials N] [--seed S] [--records M] [--only K[,K...]]
  --trials N    trials to run (default 20)
  --seed S      the seed the trials' plans come from (default: a random one, printed)
  --records M   records per trial for the job kinds (default 3000; write-back bursts are 20-50 write-backs)
  --only K      run only trial K (repeatable, or K1,K2), with the plan it has in the campaign of that seed
  --json FILE   also write the results (plans, crash points, verdicts) to FILE as JSON
`;

function parse(argv: string[]): { trials: number; seed: number; records: number; only: number[]; json?: string } {
  const out: { trials: number; seed: number; records: number; only: number[]; json?: string } = { trials: 20, seed: Math.floor(Math.random() * 2 ** 31), records: 3000, only: [] };
  const int = (name: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} takes a whole number of at least ${min}, not '${v ?? ''}'\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i];
    if (arg === '--trials') out.trials = int('--trials', value(), 1);
    else if (arg === '--seed') out.seed = int('--seed', value(), 0);
    else if (arg === '--records') out.records = int('--records', value(), 10);
    else if (arg === '--only') out.only.push(...(value() ?? '').split(',').map((k) => int('--only', k, 1)));
    else if (arg === '--json') {
      const file = value();
      if (!file) throw new Error(`--json takes a file name\n${USAGE}`);
      out.json = file;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument '${arg ?? ''}'\n${USAGE}`);
  }
  return out;
}

async function main(): Promise<void> {
  const opts = parse(process.argv.slice(2));
  process.stdout.write(`chaos campaign, seed ${opts.seed}\n`);
  const result = await runCampaign({ trials: opts.trials, seed: opts.seed, records: opts.records, onSignals: true, ...(opts.only.length ? { only: opts.only } : {}) });
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(result, null, 2));
  process.stdout.write(`\n${result.table}\n\n${result.closing}\n`);
  if (result.failed > 0) {
    process.stdout.write(`re-run a failed trial alone: npm run chaos -- --seed ${result.seed} --records ${opts.records} --only ${result.results.filter((r) => r.verdict === 'FAIL').map((r) => r.plan.trial).join(',')}\n`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${errorText(err)}\n`);
  process.exitCode = 1;
});
