// Preloaded into a service by RATCHET_BENCH_CPU_PROF=1 (services bench): samples the CPU from start
// and writes a .cpuprofile when SIGTERM arrives. Node's own --cpu-prof writes only on a normal
// exit, and Nest's shutdown hook re-raises the signal, so it would never write.
'use strict';
const { Session } = require('node:inspector');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.RATCHET_CPU_PROF_DIR;
const name = process.env.RATCHET_CPU_PROF_NAME || String(process.pid);
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  process.prependOnceListener('SIGTERM', () => {
    // An in-process session answers synchronously: the file is written before Nest's hook runs.
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
