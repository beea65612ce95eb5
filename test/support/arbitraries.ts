/**
 * fast-check arbitraries for request bodies: values of the wrong shape, bodies drawn from a route's
 * WSME declaration, "almost valid" bodies (a valid body with one thing broken), arbitrary JSON and
 * raw text that is not JSON at all. Used by test/api/properties.test.ts.
 *
 * The body families are deliberately built from the same declarations the decoder uses
 * (src/api/v2/wire/requests.ts), so a new attribute gets fuzzed without touching the tests.
 */
import fc from 'fast-check';
import type { WsObject, WsType } from '../../src/api/v2/wire/wsme.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One request to send: a JSON body or raw text, with extra headers. `note` says how it was made. */
export interface BodyCase {
  readonly family: 'schema' | 'mutated' | 'json' | 'raw';
  readonly note: string;
  readonly body?: Json;
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Set when the case adds an attribute the declaration does not have: the answer must be 400. */
  readonly unknownAttribute?: string;
}

// ---- Values ------------------------------------------------------------------------------------

const CONTROL_UNITS = ['\u0000', '\u0001', '\b', '\n', '\r', '\t', '\u001b', '\u007f', '\u0085', '\u2028', '\ufeff', '\ud800', '\udfff'];

/** Short strings full of control characters, NUL and lone surrogates. */
export const controlString = fc.string({ unit: fc.constantFrom(...CONTROL_UNITS, 'a', ' ', '/', '"', '\\'), minLength: 1, maxLength: 12 });

/** Unicode beyond ASCII: graphemes, any code point (lone surrogates included), a few classics. */
export const unicodeString = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }),
  fc.constantFrom('😀', 'é', 'e\u0301', 'ﬀ', 'Ω', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '日本語', 'مرحبا', '\u202eevil', 'ǅ'),
);

/** Strings at and past the usual column sizes, in 1-, 2- and 4-byte characters; the longest pass the body limit. */
export const hugeString = fc
  .tuple(fc.constantFrom(64, 65, 255, 256, 2048, 2049, 4096, 4097, 20000, 60000), fc.constantFrom('x', 'é', '😀', '1', '/', ','))
  .map(([n, c]) => c.repeat(n));

export const edgeNumber = fc.constantFrom(
  -1, 0, 1, 255, 256, 257, 65535, 65536, 2147483647, 2147483648, -2147483648, -2147483649, 4294967296,
  9007199254740991, 9007199254740993, 1e20, -1e20, 1.5, -0.5, 0.1, 1e308, -1e308, 5e-324, 1e-7,
);

export const numericString = fc.constantFrom(
  '1', ' 42 ', '1_000', '+5', '-1', '0', '99999999999999999999', '2147483648', '1e3', '0x10', '1.0', '١٢', 'NaN', 'Infinity',
  '', ' ', 'true', 'yes', 'on', 'off', 'None', 'null',
);

/** Strings that look like the typed values the API takes, valid or not. */
export const lookalike = fc.constantFrom(
  '00000000-0000-0000-0000-000000000000', 'urn:uuid:8b3c1a4e-7b3b-4a0b-9f8f-0f6d2b8c9d10', '{8B3C1A4E-7B3B-4A0B-9F8F-0F6D2B8C9D10}',
  '8b3c1a4e7b3b4a0b9f8f0f6d2b8c9d10', '8b3c1a4e-7b3b-4a0b-9f8f-0f6d2b8c9d1', 'not-a-uuid',
  '127.0.0.1', '0.0.0.0', '255.255.255.255', '169.254.169.254', '256.1.1.1', '1.2.3', '01.02.03.04', '::', '::1', 'fe80::1%eth0',
  '::ffff:192.0.2.1', '2001:db8::/32', '10.0.0.0/8', '10.0.0.1/33', '192.0.2.0/24', '0.0.0.0/0',
  'http://example.com', 'https://x/y?z=1#f', 'ftp://example.com', 'http://', 'javascript:alert(1)', '//example.com', '/',
  '/health?x=1', 'h2', 'http/1.1', '200', '200-204', '200,201', '999-100', 'ROUND_ROBIN', 'round_robin', 'HTTP', 'http',
  '{"a": 1}', '[]', 'TLSv1.2', 'TLSv1.9', 'amphora', 'noop_driver', 'octavia',
);

/** A value of the wrong type, out of range, oversized or otherwise hostile. */
export const badValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  edgeNumber,
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  numericString,
  controlString,
  unicodeString,
  hugeString,
  lookalike,
  fc.constantFrom<Json>([], {}, [null], [[]], [{}], { '': null }),
  fc.array(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>,
);

// ---- Bodies drawn from the declaration ---------------------------------------------------------

export interface SchemaContext {
  /** Ids that exist (load balancer, listeners, pools…) and a few that do not. */
  readonly uuids: readonly string[];
}

function patternString(type: Extract<WsType, { kind: 'string' }>): fc.Arbitrary<string> | null {
  if (!type.patternText) return null;
  try {
    return fc.stringMatching(new RegExp(type.patternText));
  } catch {
    // fast-check cannot generate from look-arounds (the domain name pattern): domains then.
    return fc.domain();
  }
}

function plausible(type: WsType, ctx: SchemaContext, depth: number): fc.Arbitrary<Json> {
  switch (type.kind) {
    case 'string': {
      const max = type.maxLength ?? 64;
      const arbs: fc.Arbitrary<string>[] = [fc.string({ maxLength: Math.min(max, 24) }), fc.string({ minLength: Math.max(0, max - 1), maxLength: max + 1 })];
      const pattern = patternString(type);
      if (pattern) arbs.push(pattern, pattern, pattern);
      return fc.oneof(...arbs);
    }
    case 'text':
      return fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;
    case 'integer': {
      const lo = type.minimum ?? -(2 ** 31);
      const hi = type.maximum ?? 2 ** 31;
      const edges = [lo - 1, lo, lo + 1, hi - 1, hi, hi + 1];
      return fc.oneof(fc.integer({ min: lo, max: Math.min(hi, lo + 100) }), fc.integer({ min: lo, max: hi }), fc.constantFrom(...edges));
    }
    case 'bool':
      return fc.oneof(fc.boolean(), fc.constantFrom<Json>('yes', 'no', 'on', 'off', 't', 'f', 1, 0, '1', '0', 'True'));
    case 'enum':
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...type.values) },
        { weight: 1, arbitrary: fc.constantFrom(...type.values).map((v) => (typeof v === 'string' ? v.toLowerCase() : String(v))) },
      );
    case 'uuid':
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...ctx.uuids) },
        { weight: 1, arbitrary: fc.uuid() },
        { weight: 1, arbitrary: fc.constantFrom(...ctx.uuids).map((u) => u.toUpperCase()) },
      );
    case 'ip':
      return fc.oneof(
        fc.ipV4(),
        fc.ipV6(),
        fc.integer({ min: 1, max: 254 }).map((n) => `192.0.2.${n}`),
        fc.constantFrom('127.0.0.1', '0.0.0.0', '169.254.169.254', '::1', '::', 'fe80::1', '2001:db8::5', '::ffff:127.0.0.1', '198.51.100.1'),
      );
    case 'cidr':
      return fc.oneof(
        fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 33 })).map(([a, n]) => `${a}/${n}`),
        fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 129 })).map(([a, n]) => `${a}/${n}`),
        fc.ipV4(),
      );
    case 'url':
      return fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.constantFrom('http://example.com', 'https://example.com/a', 'ftp://x', 'http://'));
    case 'urlPath':
      return fc.oneof(fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)), fc.constantFrom('/', '/health', '//x', 'x', '/a b'));
    case 'alpn':
      return fc.constantFrom('h2', 'http/1.1', 'http/1.0', 'h3', 'HTTP/1.1');
    case 'array':
      return fc.array(fromType(type.item, ctx, depth + 1), { maxLength: type.item.kind === 'object' ? 2 : 4 });
    case 'dict':
      return fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('X-Forwarded-For', 'X-Forwarded-Port', 'X-SSL-Client-Verify')), fromType(type.value, ctx, depth + 1), {
        maxKeys: 3,
      });
    case 'object': {
      const entries = Object.entries(type.attributes).map(([name, a]) => {
        // The root wrapper is always there (it is what routes the body at all); mandatory attributes
        // are mostly present, optional ones half the time.
        const freq = depth === 0 ? 1000 : a.mandatory ? 12 : 2;
        return [name, fc.option(fromType(a.type, ctx, depth + 1), { nil: undefined, freq })] as const;
      });
      return fc.record(Object.fromEntries(entries)).map((r) => {
        const out: Record<string, Json> = {};
        for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v as Json;
        return out;
      });
    }
  }
}

/** A value for `type`: usually plausible for its kind, sometimes hostile. */
export function fromType(type: WsType, ctx: SchemaContext, depth = 0): fc.Arbitrary<Json> {
  return fc.oneof({ weight: 8, arbitrary: plausible(type, ctx, depth) }, { weight: 1, arbitrary: badValue });
}

// ---- Almost valid bodies -----------------------------------------------------------------------

type Path = readonly (string | number)[];

/** Every node below the root, depth first. */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [];
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([...prefix, i], ...pathsOf(v, [...prefix, i]));
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...pathsOf(v, [...prefix, k]));
  }
  return out;
}

function at(value: unknown, path: Path): unknown {
  let v = value;
  for (const p of path) v = (v as Record<string | number, unknown>)[p];
  return v;
}

/** Own property, even for `__proto__` (plain assignment would set the prototype instead). */
function put(obj: object, key: string | number, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The declared type of the node at `path`, or null when the path leaves the declaration. */
export function typeAt(root: WsType, path: Path): WsType | null {
  let t: WsType | null = root;
  for (const p of path) {
    if (t === null) return null;
    if (t.kind === 'object') t = Object.hasOwn(t.attributes, String(p)) ? t.attributes[String(p)]!.type : null;
    else if (t.kind === 'array') t = t.item;
    else if (t.kind === 'dict') t = t.value;
    else return null;
  }
  return t;
}

const EXTRA_KEYS = fc.constantFrom(
  'id', 'tenant_id', 'project_id', 'provisioning_status', 'operating_status', 'created_at', 'updated_at', '__proto__', 'constructor',
  'toString', 'hasOwnProperty', 'valueOf', 'listeners', 'pools', 'members', 'healthmonitor', 'loadbalancer', 'rules', 'tags',
  'admin_state_up', 'vip_port_id', 'enabled', 'name', '', ' ', 'NAME', 'name ', 'admin-state-up',
);

export type Mutation =
  | { readonly kind: 'replace'; readonly at: number; readonly value: Json }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'add'; readonly at: number; readonly key: string; readonly value: Json }
  | { readonly kind: 'duplicate'; readonly at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: badValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: fc.oneof(EXTRA_KEYS, fc.string({ maxLength: 10 })), value: badValue }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }) },
);

/** Applies one mutation to a copy of `valid`; `type` is the body's declaration (to know unknown keys). */
export function mutate(valid: Json, m: Mutation, type: WsObject): BodyCase {
  const body = structuredClone(valid) as Json;
  const nodes = pathsOf(body);
  const show = (p: Path) => p.map(String).join('.') || '<root>';
  switch (m.kind) {
    case 'replace': {
      const p = nodes[m.at % nodes.length]!;
      put(at(body, p.slice(0, -1)) as object, p[p.length - 1]!, m.value);
      return { family: 'mutated', note: `replace ${show(p)}`, body };
    }
    case 'delete': {
      const p = nodes[m.at % nodes.length]!;
      const parent = at(body, p.slice(0, -1));
      if (Array.isArray(parent)) parent.splice(p[p.length - 1] as number, 1);
      else delete (parent as Record<string, unknown>)[p[p.length - 1] as string];
      return { family: 'mutated', note: `delete ${show(p)}`, body };
    }
    case 'add': {
      const objects = [[] as Path, ...nodes].filter((p) => {
        const v = at(body, p);
        return v !== null && typeof v === 'object' && !Array.isArray(v);
      });
      const p = objects[m.at % objects.length]!;
      const target = at(body, p) as Record<string, unknown>;
      const declared = typeAt(type, p);
      const unknown = declared?.kind === 'object' && !Object.hasOwn(declared.attributes, m.key);
      put(target, m.key, m.value);
      return {
        family: 'mutated',
        note: `add ${show([...p, m.key])}`,
        body,
        ...(unknown ? { unknownAttribute: m.key } : {}),
      };
    }
    case 'duplicate': {
      const arrays = nodes.filter((p) => Array.isArray(at(body, p)) && (at(body, p) as unknown[]).length > 0);
      if (arrays.length === 0) return { family: 'mutated', note: 'unchanged (no list to duplicate in)', body };
      const p = arrays[m.at % arrays.length]!;
      const list = at(body, p) as Json[];
      list.push(structuredClone(list[m.at % list.length]!));
      return { family: 'mutated', note: `duplicate an item of ${show(p)}`, body };
    }
  }
}

// ---- Bodies of any shape -----------------------------------------------------------------------

/** The attribute names one level below the root wrapper (or inside the root list, for batch bodies). */
function innerType(type: WsObject): { key: string; inner: WsType } {
  const [key, a] = Object.entries(type.attributes)[0]!;
  return { key, inner: a.type };
}

function jsonCases(type: WsObject): fc.Arbitrary<BodyCase> {
  const { key, inner } = innerType(type);
  const objectType = inner.kind === 'array' ? inner.item : inner;
  const names = objectType.kind === 'object' ? Object.keys(objectType.attributes) : [];
  const keyArb = names.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }) : fc.string();
  const randomObject = fc.dictionary(keyArb, fc.oneof(badValue, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>), { maxKeys: 6 });
  return fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v): BodyCase => ({ family: 'json', note: 'any JSON', body: v as Json })),
    fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }).map((v): BodyCase => ({ family: 'json', note: `any JSON under ${key}`, body: { [key]: v as Json } })),
    randomObject.map((o): BodyCase => ({
      family: 'json',
      note: `random attributes under ${key}`,
      body: { [key]: inner.kind === 'array' ? [o] : o },
    })),
  );
}

const WRONG_TYPES = [
  'text/plain', 'application/xml', 'text/html', 'multipart/form-data; boundary=x', 'application/octet-stream',
  'application/json-patch+json', 'image/png', 'x/y; a=b', ';;;', 'application/json; charset=utf-16', 'APPLICATION/JSON',
  'application/x-www-form-urlencoded', 'text/javascript',
];

const RAW_TEXTS = ['', ' ', 'null', '[]', '{}', '""', '0', '-0', 'true', '{"a":', '\ufeff{}', 'NaN', '{"x": Infinity}', '1e400', '{,}', '[', '}{'];

function rawCases(type: WsObject, valid: fc.Arbitrary<Json>): fc.Arbitrary<BodyCase> {
  const { key } = innerType(type);
  const rootTexts = [`{"${key}": 1e400}`, `{"${key}": -0}`, `{"${key}": {}}`, `{"${key}": []}`, `{"${key}": null}`, `{"${key}": "x"}`, `{"${key}": {"name": 1e999}}`];
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }).map((s): BodyCase => ({ family: 'raw', note: 'arbitrary text', rawBody: s })),
    fc.constantFrom(...RAW_TEXTS, ...rootTexts).map((s): BodyCase => ({ family: 'raw', note: 'odd text', rawBody: s })),
    fc.tuple(valid, fc.nat()).map(([v, n]): BodyCase => {
      const text = JSON.stringify(v);
      return { family: 'raw', note: 'truncated JSON', rawBody: text.slice(0, n % text.length) };
    }),
    fc.tuple(valid, fc.constantFrom(...WRONG_TYPES)).map(([v, ct]): BodyCase => ({
      family: 'raw',
      note: `content type ${ct}`,
      rawBody: JSON.stringify(v),
      headers: { 'content-type': ct },
    })),
    fc.tuple(valid, fc.nat(), fc.constantFrom('1e400', '-1e400', '1e-400', '123456789012345678901234567890', '-0', '0.0000001', '1E2')).map(([v, n, lit]): BodyCase => {
      // Numbers JSON allows but JavaScript bends (Infinity, lost precision) in place of one number of a valid body.
      const text = JSON.stringify(v);
      const spots = [...text.matchAll(/(?<=[:[,])-?\d+(\.\d+)?([eE][+-]?\d+)?(?=[,}\]])/g)];
      if (spots.length === 0) return { family: 'raw', note: `number literal ${lit} (none to replace)`, rawBody: text };
      const s = spots[n % spots.length]!;
      return { family: 'raw', note: `number literal ${lit}`, rawBody: text.slice(0, s.index) + lit + text.slice(s.index + s[0].length) };
    }),
    valid.map((v): BodyCase => {
      // Duplicate keys: JSON.parse keeps the last one.
      const text = JSON.stringify(v);
      return { family: 'raw', note: 'duplicate root key', rawBody: `${text.slice(0, -1)}, "${key}": 7}` };
    }),
    valid.map((v): BodyCase => ({ family: 'raw', note: 'Accept: text/html', body: v, headers: { accept: 'text/html' } })),
  );
}

/** A short description of a case: how it was made and the start of its payload. */
export function describeCase(c: BodyCase): string {
  const payload = c.rawBody !== undefined ? `raw ${JSON.stringify(c.rawBody.slice(0, 300))}` : String(JSON.stringify(c.body)).slice(0, 300);
  return `${c.family} (${c.note})${c.headers ? ` headers ${JSON.stringify(c.headers)}` : ''}: ${payload}`;
}

/** fast-check prints counterexamples with this (bodies may be 100 kB long). */
function printable(c: BodyCase): BodyCase {
  return Object.defineProperty(c, fc.toStringMethod, { value: () => describeCase(c), enumerable: false });
}

/**
 * The mix the property test sends to one route: drawn from the declaration, almost valid, any JSON,
 * and raw text.
 */
export function bodyCases(type: WsObject, valid: fc.Arbitrary<Json>, ctx: SchemaContext): fc.Arbitrary<BodyCase> {
  return fc
    .oneof(
      { weight: 3, arbitrary: plausible(type, ctx, 0).map((body): BodyCase => ({ family: 'schema', note: 'drawn from the declaration', body })) },
      { weight: 4, arbitrary: fc.tuple(valid, mutationArb).map(([v, m]) => mutate(v, m, type)) },
      { weight: 2, arbitrary: jsonCases(type) },
      { weight: 1, arbitrary: rawCases(type, valid) },
    )
    .map(printable);
}
