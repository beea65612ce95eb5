/**
 * oslo.config's INI dialect: `[group]` headers, `name = value` or `name: value`, `#`/`;` comment
 * lines, indented continuation lines, surrounding quotes stripped. Repeated names keep every value
 * (the last one wins for single-valued options).
 */

export interface IniEntry {
  readonly group: string;
  readonly name: string;
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

export interface IniProblem {
  readonly file: string;
  readonly line: number;
  readonly problem: string;
}

export function parseIni(text: string, file: string): { entries: IniEntry[]; problems: IniProblem[] } {
  const entries: IniEntry[] = [];
  const problems: IniProblem[] = [];
  let group: string | null = null;
  let pending: { name: string; value: string; line: number } | null = null;
  const flush = (): void => {
    if (pending && group !== null) {
      entries.push({ group, name: pending.name, value: unquote(pending.value.trim()), file, line: pending.line });
    }
    pending = null;
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    if (/^\s*$/.test(raw)) {
      flush();
      return;
    }
    if (/^\s*[#;]/.test(raw)) return;
    if (/^\s/.test(raw) && pending) {
      pending.value += `\n${raw.trim()}`;
      return;
    }
    flush();
    const header = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (header) {
      group = header[1]!.trim();
      return;
    }
    const kv = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(raw);
    if (!kv) {
      problems.push({ file, line: lineNo, problem: `cannot parse line: ${raw.trim()}` });
      return;
    }
    if (group === null) {
      problems.push({ file, line: lineNo, problem: 'option outside of any [group]' });
      return;
    }
    pending = { name: kv[1]!.trim(), value: kv[2]!, line: lineNo };
  });
  flush();
  return { entries, problems };
}

function unquote(value: string): string {
  if (value.length >= 2) {
    const first = value[0];
    if ((first === '"' || first === "'") && value.endsWith(first)) return value.slice(1, -1);
  }
  return value;
}
