/**
 * `npm run bench`: runs the selected scenarios against locally started
 * targets, prints the report on stdout (progress on stderr) and writes the
 * JSON results. Exits 1 when a scenario could not run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseOptions, UsageError, USAGE } from './options.js';
import { formatReport } from './report.js';
import { runBench } from './run.js';

/** Typed arrays (histogram counts) are left out of the JSON; the summaries carry the figures. */
const jsonReplacer = (_key: string, value: unknown) => (ArrayBuffer.isView(value) ? undefined : value);

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}`);
    return 2;
  }
  if ('help' in parsed) {
    process.stdout.write(USAGE);
    return 0;
  }
  const options = parsed;
  const result = await runBench(options, (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`));
  const out = options.out ?? `.local/bench/${result.startedAt.replace(/[:.]/g, '-')}.json`;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, jsonReplacer, 2)}\n`);
  process.stdout.write(`${formatReport(result)}\n\nresults: ${out}\n`);
  const failed = Object.values(result.results).some((r) => Object.keys(r.failed).length > 0);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
