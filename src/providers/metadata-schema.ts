/**
 * Flat JSON-schema checks of flavor and availability zone metadata, with the messages Python's
 * jsonschema gives (the amphora provider reports `<key> <message>`, spec §2.10).
 */
import { DomainError, Errors, pyRepr } from '../domain/errors.js';
import type { Capability } from './provider-driver.js';

export interface MetadataProperty {
  readonly type: 'string' | 'boolean' | 'array';
  readonly description: string;
  readonly enum?: readonly string[];
}

export type MetadataSchema = Readonly<Record<string, MetadataProperty>>;

export function capabilitiesOf(schema: MetadataSchema): Capability[] {
  return Object.entries(schema).map(([name, p]) => ({ name, description: p.description }));
}

function jsType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'number' ? 'number' : typeof value;
}

/** Throws DomainError('provider_unsupported_option') for the first violation. */
export function validateMetadata(provider: string, schema: MetadataSchema, metadata: Record<string, unknown>): void {
  const unknown = Object.keys(metadata).filter((k) => !Object.hasOwn(schema, k));
  if (unknown.length > 0) {
    const names = unknown.map((k) => pyRepr(k)).join(', ');
    throw Errors.providerUnsupportedOption(
      provider,
      `Additional properties are not allowed (${names} ${unknown.length === 1 ? 'was' : 'were'} unexpected)`,
    );
  }
  for (const [key, prop] of Object.entries(schema)) {
    if (!Object.hasOwn(metadata, key)) continue;
    const value = metadata[key];
    if (jsType(value) !== prop.type) {
      throw Errors.providerUnsupportedOption(provider, `${key} ${pyRepr(value)} is not of type ${pyRepr(prop.type)}`);
    }
    if (prop.enum && !prop.enum.includes(value as string)) {
      throw Errors.providerUnsupportedOption(provider, `${key} ${pyRepr(value)} is not one of ${pyRepr(prop.enum)}`);
    }
  }
}

export function isUnsupported(err: unknown): err is DomainError {
  return err instanceof DomainError && err.code === 'provider_unsupported_option';
}
