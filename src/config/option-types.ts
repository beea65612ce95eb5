/**
 * Option kinds of the oslo.config-style configuration: each knows how to parse its INI text and
 * carries its TypeScript value type, so the typed config tree is derived from the option table.
 */

export interface OptionSpec<T> {
  readonly kind: string;
  readonly default: T;
  readonly help: string;
  /** Parses the INI text; returns the value or a problem description. */
  parse(text: string): { ok: true; value: T } | { ok: false; problem: string };
  /** How the default is written in the configuration reference. */
  describeDefault(): string;
}

export type ValueOf<S> = S extends OptionSpec<infer T> ? T : never;

function spec<T>(
  kind: string,
  def: T,
  help: string,
  parse: OptionSpec<T>['parse'],
  describe?: () => string,
): OptionSpec<T> {
  return {
    kind,
    default: def,
    help,
    parse,
    describeDefault: describe ?? (() => (def === null || def === undefined ? '(unset)' : String(def))),
  };
}

const TRUE_WORDS = ['true', '1', 'on', 'yes'];
const FALSE_WORDS = ['false', '0', 'off', 'no'];

export const opt = {
  str<T extends string | null>(def: T, help: string): OptionSpec<T | string> {
    return spec<T | string>('string', def, help, (text) => ({ ok: true, value: text }));
  },
  choice<const C extends string, D extends C | null>(choices: readonly C[], def: D, help: string): OptionSpec<C | D> {
    return spec<C | D>('choice', def, `${help} One of: ${choices.join(', ')}.`, (text) =>
      (choices as readonly string[]).includes(text)
        ? { ok: true, value: text as C }
        : { ok: false, problem: `must be one of ${choices.join(', ')}` },
    );
  },
  int<D extends number | null>(def: D, help: string, range: { min?: number; max?: number } = {}): OptionSpec<number | D> {
    return spec<number | D>('integer', def, help, (text) => {
      if (!/^[+-]?\d+$/.test(text.trim())) return { ok: false, problem: 'must be an integer' };
      const value = Number.parseInt(text, 10);
      if (range.min !== undefined && value < range.min) return { ok: false, problem: `must be >= ${range.min}` };
      if (range.max !== undefined && value > range.max) return { ok: false, problem: `must be <= ${range.max}` };
      return { ok: true, value };
    });
  },
  float<D extends number | null>(def: D, help: string, range: { min?: number } = {}): OptionSpec<number | D> {
    return spec<number | D>('float', def, help, (text) => {
      const value = Number(text.trim());
      if (text.trim() === '' || !Number.isFinite(value)) return { ok: false, problem: 'must be a number' };
      if (range.min !== undefined && value < range.min) return { ok: false, problem: `must be >= ${range.min}` };
      return { ok: true, value };
    });
  },
  port(def: number, help: string): OptionSpec<number> {
    return spec<number>('port', def, help, (text) => {
      const value = Number.parseInt(text, 10);
      if (!/^\d+$/.test(text.trim()) || value > 65535) return { ok: false, problem: 'must be a port number 0-65535' };
      return { ok: true, value };
    });
  },
  bool(def: boolean, help: string): OptionSpec<boolean> {
    return spec<boolean>('boolean', def, help, (text) => {
      const t = text.trim().toLowerCase();
      if (TRUE_WORDS.includes(t)) return { ok: true, value: true };
      if (FALSE_WORDS.includes(t)) return { ok: true, value: false };
      return { ok: false, problem: 'must be a boolean (true/false)' };
    });
  },
  list<D extends readonly string[] | null>(def: D, help: string): OptionSpec<readonly string[] | D> {
    return spec<readonly string[] | D>(
      'list',
      def,
      help,
      (text) => ({
        ok: true,
        value: text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      }),
      () => (def === null ? '(unset)' : def.join(',')),
    );
  },
  /** oslo DictOpt: `key1:value1,key2:value2` (the value may contain spaces and dots, not commas). */
  dict(def: Readonly<Record<string, string>>, help: string): OptionSpec<Readonly<Record<string, string>>> {
    return spec<Readonly<Record<string, string>>>(
      'dict',
      def,
      help,
      (text) => {
        const out: Record<string, string> = {};
        for (const part of text.split(',')) {
          if (part.trim() === '') continue;
          const colon = part.indexOf(':');
          if (colon < 0) return { ok: false, problem: `entry '${part.trim()}' is not key:value` };
          out[part.slice(0, colon).trim()] = part.slice(colon + 1).trim();
        }
        return { ok: true, value: out };
      },
      () =>
        Object.entries(def)
          .map(([k, v]) => `${k}:${v}`)
          .join(','),
    );
  },
};
