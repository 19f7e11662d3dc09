/**
 * Rules whose findings come from reading and parsing the repo. Their checks convert load/parse problems into findings,
 * so every bad input is reported as `file:line:col` instead of a crash.
 */
import { defineRule, type Rule, type RuleContext } from './api.js';

function fromLoad(id: string) {
  return (ctx: RuleContext) => {
    for (const p of ctx.repo.problems.filter((x) => x.ruleId === id)) {
      ctx.report({ file: p.file, position: p.position }, p.message, p.hint);
    }
  };
}

function fromParse(code: string, hint: string) {
  return (ctx: RuleContext) => {
    for (const cluster of ctx.clusters) {
      for (const source of cluster.sources) {
        for (const p of source.problems.filter((x) => x.code === code)) {
          ctx.report(
            { file: source.file, position: p.position, document: p.document, ...(p.path ? { path: p.path } : {}) },
            p.message,
            hint,
          );
        }
      }
    }
  };
}

export const yamlSyntax = defineRule({
  id: 'yaml/syntax',
  severity: 'error',
  title: 'YAML that does not parse',
  docs: 'A file that is not valid YAML is rejected by Argo CD (and by Helm when it is a values file), so the whole Application fails to sync. The linter reports the first parser error of each document with its line and column and skips the document for every other rule.',
  check: fromParse(
    'yaml-syntax',
    'Fix the YAML syntax at this position; `yamllint` or an editor with the YAML language server shows the context.',
  ),
});

export const yamlDuplicateKey = defineRule({
  id: 'yaml/duplicate-key',
  severity: 'error',
  title: 'Duplicate mapping key',
  docs: 'YAML requires unique keys in a mapping, but Kubernetes and Helm parsers silently keep only one of two duplicates, so a second `env:` or `defaultMode:` quietly discards the first. The linter treats a duplicate key as an error, pointing at the second occurrence.',
  check: fromParse('duplicate-key', 'Remove or merge one of the duplicate keys.'),
});

export const yamlAliasBomb = defineRule({
  id: 'yaml/alias-bomb',
  severity: 'error',
  title: 'Excessive YAML alias expansion',
  docs: 'Anchors and aliases that expand exponentially ("billion laughs") exhaust memory in every tool that reads the file. The linter caps alias expansion per document (maxAliasCount 100 in the `yaml` package) and reports the document instead of expanding it.',
  check: fromParse('alias-bomb', 'Write the values out instead of nesting aliases of aliases.'),
});

export const repoEncoding = defineRule({
  id: 'repo/encoding',
  severity: 'error',
  title: 'File is not UTF-8',
  docs: 'Kubernetes, Helm and Argo CD read YAML as UTF-8; a Latin-1 or UTF-16 file either fails to parse or silently corrupts strings such as PEM data. The linter reports the first invalid byte with its line and column and does not parse the file.',
  check: fromLoad('repo/encoding'),
});

export const repoSymlinkEscape = defineRule({
  id: 'repo/symlink-escape',
  severity: 'error',
  title: 'Symlink leaving the repository',
  docs: 'Argo CD refuses repositories with out-of-bounds symlinks ("repository contains out-of-bounds symlinks"), and a link to a file outside the repo can leak host files into manifests. The linter never follows such a link (nor a symlink loop) and reports it.',
  check: fromLoad('repo/symlink-escape'),
});

export const repoUnreadable = defineRule({
  id: 'repo/unreadable',
  severity: 'error',
  title: 'File cannot be read',
  docs: "A file or directory the linter cannot read (permissions, dangling symlink) is also unreadable for Argo CD's repo server. Entries that are not regular files (a FIFO, a socket, a device) are reported without being opened, since reading one can block forever; git cannot store them, so they are local artefacts. The linter reports each and continues with the rest of the repo.",
  check: fromLoad('repo/unreadable'),
});

export const repoFileTooLarge = defineRule({
  id: 'repo/file-too-large',
  severity: 'error',
  title: 'File too large to be a manifest',
  docs: 'Deploy-repo YAML is kilobytes; a multi-megabyte file is almost always generated data committed by mistake, and Argo CD limits the combined size of a directory source. The linter does not parse (or, for non-YAML files under a cluster, scan for private keys) files above 4 MiB, stops walking trees deeper than 16 levels or larger than 50,000 entries, and reports each.',
  check: fromLoad('repo/file-too-large'),
});

export const sourceRules: Rule[] = [
  yamlSyntax,
  yamlDuplicateKey,
  yamlAliasBomb,
  repoEncoding,
  repoSymlinkEscape,
  repoUnreadable,
  repoFileTooLarge,
];
