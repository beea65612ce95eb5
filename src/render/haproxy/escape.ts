/**
 * The one escaper of the HAProxy renderer. Every user- or operator-controlled string that reaches
 * haproxy.cfg passes through one of the functions below and comes out as a `Word`; the emitter
 * only joins Words, so a string that skipped this module does not type-check.
 *
 * HAProxy 2.6 splits a line into words on spaces and tabs, starts a comment at `#`, and reads
 * `\` escapes and '…' / "…" quotes (inside "…" it also expands `$VAR`). A value is written as
 * one word with backslash escapes for space, `\`, `#`, `'` and `"`; `$` needs no escape outside
 * double quotes. Nothing can escape a line break into a config line safely (and upstream's API
 * refuses them), so any control character, C1 control, Unicode line separator or unpaired
 * surrogate is refused: the caller turns the refusal into a problem on the object.
 * (Checked against haproxy 2.6 itself: see escape.test.ts, which reads values back through the
 * runtime API.)
 */

import { ipVersion, normaliseCidr } from '../../lib/ip.js';

declare const wordBrand: unique symbol;
/** Text that is safe as exactly one word of a HAProxy config line. */
export type Word = string & { readonly [wordBrand]: true };

export type Checked = { readonly ok: true; readonly word: Word } | { readonly ok: false; readonly reason: string };

// C0 controls (incl. TAB, LF, CR, NUL), DEL, C1 controls (incl. NEL) and the Unicode line and
// paragraph separators.
const FORBIDDEN = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/u;

// Written as UTF-8, an unpaired surrogate would silently become U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `value` can never be written into a config line, or null when it can. */
export function unwritable(value: string): string | null {
  if (value.length === 0) return 'is empty';
  if (LONE_SURROGATE.test(value)) return 'contains an unpaired UTF-16 surrogate';
  const bad = FORBIDDEN.exec(value);
  if (bad) return `contains the control character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return null;
}

function ok(word: string): Checked {
  return { ok: true, word: word as Word };
}

function refuse(reason: string): Checked {
  return { ok: false, reason };
}

/**
 * Any printable text as one word. With `spaces: false` whitespace is refused instead of escaped,
 * for directives where a space would still split the value later (a URL in a request line).
 */
export function argument(value: string, options: { spaces?: boolean } = {}): Checked {
  const why = unwritable(value);
  if (why) return refuse(why);
  if (options.spaces === false && /\s/u.test(value)) return refuse('contains white space');
  return ok(value.replace(/[\\ #'"]/g, (c) => `\\${c}`));
}

/**
 * Text embedded in a log-format string (`log-format`, `http-check send hdr`): a `%` would start a
 * log variable, so it is doubled. The result still needs argument() around the whole format.
 */
export function logFormatText(value: string): string {
  return value.replace(/%/g, '%%');
}

// A word inside a sample fetch's parentheses (`req.hdr(<name>)`): besides the line rules, `,`
// separates fetch arguments, `)` ends them, and 2.6 reads quotes and backslashes there too. Only
// RFC 7230 token characters without those are accepted; nothing in them needs escaping.
const FETCH_ARGUMENT = /^[A-Za-z0-9!$%&*+.^_`|~-]+$/;

/** A header, cookie or DN-field name used as a sample fetch argument. */
export function fetchArgument(value: string): Checked {
  const why = unwritable(value);
  if (why) return refuse(why);
  if (!FETCH_ARGUMENT.test(value)) return refuse('may only contain letters, digits and !$%&*+.^_`|~-');
  return ok(value);
}

// Proxy, server and ACL names: HAProxy allows letters, digits, '-', '_', '.' and ':'. ':' is kept
// out because backend names are `<pool id>:<listener id>`.
// A leading '-' could read as a flag where names are arguments.
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** An object id used as a proxy, server, ACL or peer name. */
export function identifier(value: string): Checked {
  const why = unwritable(value);
  if (why) return refuse(why);
  if (!IDENTIFIER.test(value)) return refuse('may only contain letters, digits, "-", "_" and "." (starting with a letter or digit)');
  return ok(value);
}

/** Text written by the renderer itself (keywords, constant headers). A bug if it is not a plain word. */
export function literal(text: string): Word {
  if (!/^[\x21-\x7e]+$/.test(text) || /[\\#'"]/.test(text)) throw new Error(`not a literal HAProxy word: ${JSON.stringify(text)}`);
  return text as Word;
}

/** Text with spaces written by the renderer itself (a constant header value). */
export function constantText(text: string): Word {
  const a = argument(text);
  if (!a.ok) throw new Error(`not writable: ${JSON.stringify(text)}`);
  return a.word;
}

/** A non-negative integer, or a decimal with a unit suffix the renderer chose (`30s`). */
export function num(n: number, unit = ''): Word {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a non-negative integer: ${n}`);
  return `${n}${unit}` as Word;
}

/** Two words joined without a separator (`<pool id>:<listener id>`, `<address>:<port>`). */
export function join(...parts: readonly Word[]): Word {
  return parts.join('') as Word;
}

/**
 * An IPv4 or IPv6 address (no zone index). IPv6 is written in brackets: HAProxy reads the last
 * colon of a bare IPv6 address as a port separator, also where no port is expected (`addr`).
 */
export function address(value: string): Checked {
  const why = unwritable(value);
  if (why) return refuse(why);
  const v = ipVersion(value);
  if (v === null || value.includes('%')) return refuse('is not an IP address');
  return ok(v === 6 ? `[${value}]` : value);
}

/** An IPv4 or IPv6 network, normalised (host bits cleared) as upstream's ipaddress does. */
export function cidr(value: string): Checked {
  const why = unwritable(value);
  if (why) return refuse(why);
  const n = normaliseCidr(value);
  if (n === null) return refuse('is not an IP network');
  return ok(n);
}

// Paths are also written into crt-list files, which have their own (simpler) syntax, so a path is
// only accepted when nothing in it needs escaping anywhere.
const PLAIN_PATH = /^\/[A-Za-z0-9/_.+=,:@-]*$/;

/** An absolute file path that needs no escaping (operator settings: base paths). */
export function plainPath(value: string): Checked {
  const why = unwritable(value);
  if (why) return refuse(why);
  if (!PLAIN_PATH.test(value)) return refuse('must be an absolute path of letters, digits and /_.+=,:@-');
  return ok(value.replace(/\/+$/, '') || '/');
}
