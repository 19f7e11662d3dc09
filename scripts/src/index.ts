/**
 * @understack/scripts — repository tooling shared by every package: where the pinned tools are, the environment to
 * run them with, a child-process runner that redacts secrets, and the helm-unittest wrapper.
 */
export { runCli, UsageError } from './cli.js';
export {
  type ChartResult,
  findCharts,
  formatSummary,
  type HelmUnittestOptions,
  parseJUnit,
  resolveCharts,
  runHelmUnittest,
  type UnittestFailure,
} from './helm-unittest.js';
export { assertInstalled, type InstallOptions, type InstallResult, installTools } from './install.js';
export { CommandError, formatCommand, type RunOptions, type RunResult, redactArgs, run, tail } from './run.js';
export {
  type ArgoRelease,
  goArch,
  loadPins,
  repoRoot,
  requireTool,
  ToolError,
  type ToolPin,
  type ToolPins,
  toolDirs,
  toolEnv,
  toolPath,
} from './tools.js';
