/** Progress lines on stderr: one per step, with the elapsed time of the run. */
const started = Date.now();

export function step(message: string): void {
  if (process.env.UNDERSTACK_E2E_QUIET === '1') return;
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[e2e ${s}s] ${message}\n`);
}
