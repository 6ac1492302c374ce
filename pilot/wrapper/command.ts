/**
 * A payload's command line and environment, as DIRAC's preProcess builds them, without a shell:
 * `Arguments` are split into words as a POSIX shell splits them (quotes and backslashes, no
 * expansion); the `Executable` is looked up relative to the job directory first, then on PATH.
 */
import { access, chmod, constants, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, relative, resolve } from 'node:path';

/** Splits like `sh` does words; an unterminated quote runs to the end of the text. */
export function splitArguments(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end < 0 ? text.length : end;
      word += text.slice(i + 1, stop);
      inWord = true;
      i = stop;
    } else if (c === '"') {
      inWord = true;
      for (i++; i < text.length && text[i] !== '"'; i++) {
        const next = text[i + 1];
        // Inside double quotes a backslash escapes only these.
        if (text[i] === '\\' && next !== undefined && '"\\$`\n'.includes(next)) {
          if (next !== '\n') word += next;
          i++;
        } else {
          word += text[i];
        }
      }
    } else if (c === '\\') {
      const next = text[i + 1];
      if (next !== undefined && next !== '\n') word += next;
      inWord = inWord || next !== '\n';
      i++;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return await isFile(path);
  } catch {
    return false;
  }
}

/**
 * The absolute path of `executable`: a path is taken from the job directory; a bare name is
 * looked for in the job directory, then on `searchPath`. A file of the job directory (unpacked from
 * the sandbox) is made executable, as DIRAC does. Undefined when there is none.
 */
export async function findExecutable(
  executable: string,
  workDir: string,
  searchPath: string | undefined,
): Promise<string | undefined> {
  const own = resolve(workDir, executable);
  if (executable.includes('/') || (await isFile(own))) {
    if (!(await isFile(own))) return undefined;
    const rel = relative(workDir, own);
    if (!rel.startsWith('..') && !isAbsolute(rel) && !(await isExecutable(own))) {
      const { mode } = await stat(own);
      await chmod(own, mode | 0o100);
    }
    return own;
  }
  for (const dir of (searchPath ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, executable);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Variables of the pilot that a payload must not inherit: the pilot's credentials and muon's own settings. */
const privateVariable = /^(MUON_|AWS_)|TOKEN|SECRET|PASSWORD|CREDENTIAL/i;

/** The pilot's environment without its private variables, then `extra` (DIRAC's variables, the JDL's). */
export function payloadEnvironment(
  base: NodeJS.ProcessEnv,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && !privateVariable.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/** JDL `ExecutionEnvironment` entries `NAME=value` (an entry without `=` sets an empty value). */
export function parseExecutionEnvironment(entries: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    const name = (at < 0 ? entry : entry.slice(0, at)).trim();
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) env[name] = at < 0 ? '' : entry.slice(at + 1);
  }
  return env;
}
