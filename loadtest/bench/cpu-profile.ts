/**
 * What `--profile-dir` preloads into every target process (NODE_OPTIONS
 * `--import`; Node refuses `--cpu-prof` there): profiles the main thread from
 * start to exit, like `--cpu-prof`, and writes
 * `$BENCH_PROFILE_DIR/<service>-<pid>.cpuprofile` when the process exits
 * (open it in Chrome DevTools or speedscope). A process that is SIGKILLed
 * writes nothing; targets stop their processes with SIGTERM first.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename, dirname, join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  // A same-thread inspector session answers synchronously, so this completes inside 'exit'.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      const service = basename(dirname(process.argv[1] ?? 'node'));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${service}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
