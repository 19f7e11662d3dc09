import { describe, expect, it } from 'vitest';
import { CommandError, formatCommand, redactArgs, run } from './run.js';

describe(redactArgs, () => {
  it.each([
    [
      ['--password', 'hunter2'],
      ['--password', '******'],
    ],
    [
      ['--set', 'db.password=hunter2'],
      ['--set', 'db.password=******'],
    ],
    [['--token=abc'], ['--token=******']],
    [['https://user:hunter2@charts.example/x'], ['https://user:******@charts.example/x']],
    [
      ['--set', 'image.tag=1.2'],
      ['--set', 'image.tag=1.2'],
    ],
  ])('should mask secrets when given %j', (input, expected) => {
    expect(redactArgs(input)).toEqual(expected);
  });
});

describe(run, () => {
  it('should throw a CommandError with the redacted command and stderr tail when the child fails', async () => {
    const error = await run('sh', ['-c', 'echo oops >&2; exit 3', '--password', 's3cret'], {}).catch((e) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain('oops');
    expect(error.message).not.toContain('s3cret');
    expect(formatCommand('helm', ['--password', 's3cret'])).toBe('helm --password ******');
  });
});
