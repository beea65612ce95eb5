/**
 * Request bodies are decoded the way upstream's WSME decodes them, because clients and tests compare
 * the error texts (spec §1.4). One declaration per body type gives both the decoder and the JSON
 * Schema published at /openapi.json. We deliberately do not use a JSON-Schema validator (Ajv,
 * TypeBox) for decoding: WSME's semantics differ from JSON Schema in ways clients see — unknown
 * attributes are rejected before anything else, booleans accept "yes"/"on"/1, integers accept
 * numeric strings and truncate floats, some type errors name the whole body, and messages have
 * fixed wording.
 *
 * Decoding produces plain objects holding only the attributes present in the request (explicit
 * nulls kept as null) plus declared defaults for absent ones, so handlers can tell "unset" from
 * "set to null" as upstream does.
 */
import { DomainError, pyRepr, pyStr } from '../../../domain/errors.js';
import { parseUuid } from '../../../lib/ids.js';
import { isIpAddress, normaliseCidr } from '../../../lib/ip.js';

export type WsType =
  | { readonly kind: 'string'; readonly maxLength?: number; readonly minLength?: number; readonly pattern?: RegExp; readonly patternText?: string }
  /** wtypes.text / str: any value passes through unchecked (upstream then fails later or not at all). */
  | { readonly kind: 'text' }
  | { readonly kind: 'integer'; readonly minimum?: number; readonly maximum?: number }
  | { readonly kind: 'bool' }
  | { readonly kind: 'enum'; readonly base: 'string' | 'float' | 'integer'; readonly values: readonly (string | number)[] }
  | { readonly kind: 'uuid' }
  | { readonly kind: 'ip' }
  | { readonly kind: 'cidr' }
  | { readonly kind: 'url'; readonly requireScheme: boolean }
  | { readonly kind: 'urlPath' }
  | { readonly kind: 'alpn' }
  | { readonly kind: 'array'; readonly item: WsType }
  | { readonly kind: 'dict'; readonly value: WsType }
  | WsObject;

export interface WsAttribute {
  readonly type: WsType;
  readonly mandatory?: boolean;
  /** Value used when the attribute is absent (WSME's wsattr default). */
  readonly default?: unknown;
  readonly description?: string;
}

export interface WsObject {
  readonly kind: 'object';
  readonly name: string;
  readonly attributes: Readonly<Record<string, WsAttribute>>;
  /** Request bodies that also accept `tenant_id` as an alias of `project_id`. */
  readonly tenantAlias?: boolean;
}

export const ws = {
  string: (o: { maxLength?: number; minLength?: number; pattern?: string } = {}): WsType => ({
    kind: 'string',
    ...(o.maxLength !== undefined ? { maxLength: o.maxLength } : {}),
    ...(o.minLength !== undefined ? { minLength: o.minLength } : {}),
    ...(o.pattern !== undefined ? { pattern: new RegExp(o.pattern, 'u'), patternText: o.pattern } : {}),
  }),
  text: (): WsType => ({ kind: 'text' }),
  integer: (o: { minimum?: number; maximum?: number } = {}): WsType => ({ kind: 'integer', ...o }),
  bool: (): WsType => ({ kind: 'bool' }),
  enum: (values: readonly string[]): WsType => ({ kind: 'enum', base: 'string', values }),
  floatEnum: (values: readonly number[]): WsType => ({ kind: 'enum', base: 'float', values }),
  intEnum: (values: readonly number[]): WsType => ({ kind: 'enum', base: 'integer', values }),
  uuid: (): WsType => ({ kind: 'uuid' }),
  ip: (): WsType => ({ kind: 'ip' }),
  cidr: (): WsType => ({ kind: 'cidr' }),
  url: (requireScheme = true): WsType => ({ kind: 'url', requireScheme }),
  urlPath: (): WsType => ({ kind: 'urlPath' }),
  alpn: (): WsType => ({ kind: 'alpn' }),
  array: (item: WsType): WsType => ({ kind: 'array', item }),
  dict: (value: WsType): WsType => ({ kind: 'dict', value }),
  object: (name: string, attributes: Record<string, WsAttribute>, options: { tenantAlias?: boolean } = {}): WsObject => ({
    kind: 'object',
    name,
    attributes: options.tenantAlias && 'project_id' in attributes
      ? { ...attributes, tenant_id: { type: { kind: 'string', maxLength: 36 } } }
      : attributes,
    ...(options.tenantAlias ? { tenantAlias: true } : {}),
  }),
};

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Shorthand for attributes. */
export const attr = (type: WsType, options: Omit<WsAttribute, 'type'> = {}): WsAttribute => ({ type, ...options });

/** A ValueError raised while converting (not validating): upstream reports it against the whole body. */
class ConversionError extends Error {}

/** A validation failure of one attribute: "Invalid input for field/attribute <name>. Value: '<v>'. <msg>". */
export function invalidInput(name: string, value: unknown, message: string, shown: string = pyStr(value)): DomainError {
  return new DomainError('invalid_input', `Invalid input for field/attribute ${name}. Value: '${shown}'. ${message}`);
}

class UnknownAttributeError extends Error {
  path: string | null = null;
  constructor(readonly names: readonly string[]) {
    super('unknown attribute');
  }
  addFieldname(name: string): void {
    this.path = this.path === null ? name : `${name}.${this.path}`;
  }
  toDomainError(): DomainError {
    const word = this.names.length > 1 ? 'attributes' : 'attribute';
    return new DomainError('unknown_attribute', `Unknown ${word} for argument ${this.path}: ${this.names.join(', ')}`);
  }
}

const TRUE_WORDS = ['true', 't', 'yes', 'y', 'on', '1'];
const FALSE_WORDS = ['false', 'f', 'no', 'n', 'off', '0'];

/**
 * Decodes a request body against its root type (e.g. `{"loadbalancer": {...}}`). `argName` is the
 * name upstream's controller gives the body argument; conversion errors name it.
 */
export function decodeBody(root: WsObject, argName: string, body: unknown): Record<string, unknown> {
  try {
    return convertObject(root, body) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof UnknownAttributeError) {
      err.addFieldname(argName);
      throw err.toDomainError();
    }
    if (err instanceof ConversionError) throw invalidInput(argName, body, err.message);
    throw err;
  }
}

/** fromjson + setattr validation of a complex type. */
function convertObject(type: WsObject, value: unknown): unknown {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    // Upstream fails with an AttributeError on .keys() here, which WSME turns into a 500; we answer
    // 400 with the conversion wording instead.
    throw new ConversionError(`Value not a valid dict: ${pyStr(value)}`);
  }
  const input = value as Record<string, unknown>;
  // Own properties only: `constructor`, `toString`… are not attributes of any body type.
  const unknown = Object.keys(input).filter((k) => !Object.hasOwn(type.attributes, k));
  if (unknown.length > 0) throw new UnknownAttributeError(unknown);
  const out: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(type.attributes)) {
    if (Object.hasOwn(input, name)) {
      let converted: unknown;
      try {
        converted = convert(a.type, input[name]);
      } catch (err) {
        if (err instanceof UnknownAttributeError) err.addFieldname(name);
        throw err;
      }
      // tenant_id is upstream's alias: validated under the name project_id, and it wins.
      out[name] = validate(type.tenantAlias && name === 'tenant_id' ? 'project_id' : name, a.type, converted);
    } else if (a.mandatory) {
      throw invalidInput(name, null, 'Mandatory field missing.');
    } else if (a.default !== undefined) {
      out[name] = structuredClone(a.default);
    }
  }
  if (type.tenantAlias && 'tenant_id' in out) {
    out['project_id'] = out['tenant_id'];
    delete out['tenant_id'];
  }
  return out;
}

/** WSME fromjson: type conversion; failures are ConversionError (reported against the whole body). */
function convert(type: WsType, value: unknown): unknown {
  if (value === null) return null;
  switch (type.kind) {
    case 'object':
      return convertObject(type, value);
    case 'array':
      if (!Array.isArray(value)) throw new ConversionError(`Value not a valid list: ${pyStr(value)}`);
      return value.map((v) => convert(type.item, v));
    case 'dict':
      if (typeof value !== 'object' || Array.isArray(value)) throw new ConversionError(`Value not a valid dict: ${pyStr(value)}`);
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, convert(type.value, v)]));
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value !== 0;
      if (typeof value === 'string' && TRUE_WORDS.includes(value)) return true;
      if (typeof value === 'string' && FALSE_WORDS.includes(value)) return false;
      throw new ConversionError(`Value not an unambiguous boolean: ${pyStr(value)}`);
    case 'integer':
      return toInt(value);
    case 'enum':
      if (type.base === 'float') return toFloat(value);
      if (type.base === 'integer') return toInt(value);
      return value;
    default:
      return value;
  }
}

/** Python int(): ints, numeric strings (with surrounding spaces), truncated floats, booleans. */
function toInt(value: unknown): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ConversionError(`cannot convert float ${value} to integer`);
    return Math.trunc(value);
  }
  if (typeof value === 'string' && /^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) return Number.parseInt(value.replace(/_/g, ''), 10);
  if (typeof value === 'string') throw new ConversionError(`invalid literal for int() with base 10: ${pyRepr(value)}`);
  throw new ConversionError(`int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(value)}'`);
}

function toFloat(value: unknown): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (typeof value === 'string') throw new ConversionError(`could not convert string to float: ${pyRepr(value)}`);
  throw new ConversionError(`float() argument must be a string or a real number, not '${pyTypeName(value)}'`);
}

function pyTypeName(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'NoneType';
  if (typeof value === 'object') return 'dict';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  return Number.isInteger(value) ? 'int' : 'float';
}

function pyClass(value: unknown): string {
  return `<class '${pyTypeName(value)}'>`;
}

/** wsattr.__set__ validation of a converted value; failures name the attribute. */
function validate(name: string, type: WsType, value: unknown): unknown {
  if (value === null) return null;
  const fail = (message: string): never => {
    throw invalidInput(name, value, message);
  };
  switch (type.kind) {
    case 'string':
      if (typeof value !== 'string') fail('Value should be string');
      if (type.minLength !== undefined && [...(value as string)].length < type.minLength) {
        fail(`Value should have a minimum character requirement of ${type.minLength}`);
      }
      if (type.maxLength !== undefined && [...(value as string)].length > type.maxLength) {
        fail(`Value should have a maximum character requirement of ${type.maxLength}`);
      }
      if (type.pattern && !type.pattern.test(value as string)) fail(`Value should match the pattern ${type.patternText}`);
      // PostgreSQL cannot store NUL in text (upstream answers 500 there): refused on every engine.
      if ((value as string).includes('\u0000')) fail('Value should not contain NUL characters');
      return value;
    case 'text':
      return value;
    case 'integer': {
      // Every integer column is 32 bits wide (upstream's too: on PostgreSQL and MySQL its write then
      // fails, a 500 or a listener create's odd InvalidOption): an unbounded attribute is bounded by the column.
      const minimum = type.minimum ?? INT32_MIN;
      const maximum = type.maximum ?? INT32_MAX;
      if ((value as number) < minimum) fail(`Value should be greater or equal to ${minimum}`);
      if ((value as number) > maximum) fail(`Value should be lower or equal to ${maximum}`);
      return value;
    }
    case 'bool':
      return value;
    case 'enum':
      if (!type.values.includes(value as string | number)) {
        const allowed = `Value should be one of: ${type.values.map((v) => (type.base === 'float' ? pyFloat(v as number) : String(v))).join(', ')}`;
        // Python shows the converted float (2 → 2.0); JSON numbers lose that distinction here.
        if (type.base === 'float') throw invalidInput(name, value, allowed, pyFloat(value as number));
        fail(allowed);
      }
      return value;
    case 'uuid': {
      // uuid.UUID() accepts upper case, braces, a urn:uuid: prefix and dashes anywhere, and the
      // value is stored in its canonical form.
      const canonical = typeof value === 'string' ? parseUuid(value) : null;
      if (canonical === null) fail('Value should be UUID format');
      return canonical;
    }
    case 'ip':
      if (typeof value !== 'string' || !isIpAddress(value)) fail('Value should be IPv4 or IPv6 format');
      return value;
    case 'cidr': {
      const cidr = typeof value === 'string' ? normaliseCidr(value) : null;
      if (cidr === null) fail('Value should be IPv4 or IPv6 CIDR format');
      return cidr;
    }
    case 'url':
      if (typeof value !== 'string') fail(`expected string or bytes-like object, got '${pyTypeName(value)}'`);
      if (!isValidUrl(value as string, type.requireScheme)) fail('Value must be a valid URL string');
      return value;
    case 'urlPath':
      if (typeof value !== 'string' || !isValidUrlPath(value)) fail('Value must be a valid URL Path string');
      return value;
    case 'alpn':
      if (!['h2', 'http/1.1', 'http/1.0'].includes(value as string)) fail('Value should be a valid ALPN protocol ID');
      return value;
    case 'array':
      if (!Array.isArray(value)) fail(`Wrong type. Expected '[${describeType(type.item)}]', got '${pyClass(value)}'`);
      return (value as unknown[]).map((item) => validateItem(name, type.item, item, value));
    case 'dict':
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, validateItem(name, type.value, v, value)]),
      );
    case 'object':
      return value;
  }
}

/** Items of lists and dicts: their failures name the containing attribute and show the whole list. */
function validateItem(name: string, type: WsType, item: unknown, whole: unknown): unknown {
  // Upstream's controllers crash (500) on a null where they expect an object; refused here.
  if (item === null && type.kind === 'object') throw invalidInput(name, whole, 'List items should not be null');
  if (item === null) return null;
  if (type.kind === 'text' || type.kind === 'object') return item;
  try {
    if (type.kind === 'string' && typeof item !== 'string' && type.maxLength === undefined && !type.pattern) {
      throw new Error(`Wrong type. Expected '<class 'str'>', got '${pyClass(item)}'`);
    }
    return validate(name, type, item);
  } catch (err) {
    if (err instanceof DomainError) {
      const message = err.message.replace(/^Invalid input for field\/attribute .*?\. Value: '.*'\. /s, '');
      throw invalidInput(name, whole, message);
    }
    throw invalidInput(name, whole, (err as Error).message);
  }
}

function describeType(type: WsType): string {
  switch (type.kind) {
    case 'string':
    case 'text':
      return "<class 'str'>";
    case 'integer':
      return "<class 'int'>";
    case 'bool':
      return "<class 'bool'>";
    default:
      return type.kind;
  }
}

function pyFloat(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

/** Upstream's validate.url: http(s) scheme (when required), a host, no whitespace or control characters. */
export function isValidUrl(value: string, requireScheme: boolean): boolean {
  if (/[\s\x00-\x1f\x7f]/.test(value)) return false;
  try {
    const u = new URL(value);
    if (requireScheme && !['http:', 'https:'].includes(u.protocol)) return false;
    return u.hostname !== '';
  } catch {
    return !requireScheme && /^[^/?#:]+(:\d+)?(\/.*)?$/.test(value);
  }
}

/** Upstream's validate.url_path: an absolute path without scheme, host or whitespace. */
export function isValidUrlPath(value: string): boolean {
  if (!value.startsWith('/') || value.startsWith('//')) return false;
  if (/[\s\x00-\x1f\x7f]/.test(value)) return false;
  try {
    const u = new URL(value, 'http://host.invalid');
    return u.host === 'host.invalid';
  } catch {
    return false;
  }
}

/** JSON Schema of a WSME type, for /openapi.json. */
export function toJsonSchema(type: WsType): Record<string, unknown> {
  const nullable = (s: Record<string, unknown>): Record<string, unknown> => ({ ...s, nullable: true });
  switch (type.kind) {
    case 'string':
      return nullable({
        type: 'string',
        ...(type.maxLength !== undefined ? { maxLength: type.maxLength } : {}),
        ...(type.minLength !== undefined ? { minLength: type.minLength } : {}),
        ...(type.patternText ? { pattern: type.patternText } : {}),
      });
    case 'text':
      return nullable({ type: 'string' });
    case 'integer':
      return nullable({ type: 'integer', minimum: type.minimum ?? INT32_MIN, maximum: type.maximum ?? INT32_MAX });
    case 'bool':
      return nullable({ type: 'boolean' });
    case 'enum':
      return nullable({ type: type.base === 'string' ? 'string' : type.base === 'integer' ? 'integer' : 'number', enum: [...type.values] });
    case 'uuid':
      return nullable({ type: 'string', format: 'uuid' });
    case 'ip':
      return nullable({ type: 'string', format: 'ip-address' });
    case 'cidr':
      return nullable({ type: 'string', format: 'cidr' });
    case 'url':
      return nullable({ type: 'string', format: 'uri' });
    case 'urlPath':
      return nullable({ type: 'string', pattern: '^/' });
    case 'alpn':
      return nullable({ type: 'string', enum: ['h2', 'http/1.1', 'http/1.0'] });
    case 'array':
      return nullable({ type: 'array', items: toJsonSchema(type.item) });
    case 'dict':
      return nullable({ type: 'object', additionalProperties: toJsonSchema(type.value) });
    case 'object': {
      const required = Object.entries(type.attributes)
        .filter(([, a]) => a.mandatory)
        .map(([n]) => n);
      return {
        type: 'object',
        title: type.name,
        additionalProperties: false,
        properties: Object.fromEntries(
          Object.entries(type.attributes).map(([n, a]) => [
            n,
            {
              ...toJsonSchema(a.type),
              ...(a.default !== undefined ? { default: a.default } : {}),
              ...(a.description ? { description: a.description } : {}),
            },
          ]),
        ),
        ...(required.length > 0 ? { required } : {}),
      };
    }
  }
}
