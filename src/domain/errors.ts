/**
 * The one error type of the domain and the catalogue of its codes. Every layer throws or returns
 * DomainError for expected failures; HTTP status codes appear only in the API's error mapper
 * (api/errors.ts). Messages for users follow upstream Octavia's wording exactly (spec §1.4) because
 * clients and tests compare them.
 */

export const ERROR_CODES = [
  // 400
  'validation', // "Validation failure: <detail>"
  'invalid_input', // WSME decoding: "Invalid input for field/attribute ..."
  'unknown_attribute', // "Unknown attribute for argument <arg>: <names>"
  'invalid_option', // "<value> is not a valid option for <option>"
  'disabled_option', // "The selected <option> is not allowed in this deployment: <value>"
  'vip_validation',
  'l7rule_validation',
  'l7policy_invalid_action',
  'l7policy_invalid_args',
  'single_create_details_missing',
  'invalid_subresource', // "<resource> <id> not found." but 400
  'certificate_retrieval',
  'missing_project_id',
  'listener_no_children',
  'member_sriov_disabled',
  'provider_not_enabled',
  'provider_flavor_mismatch',
  'invalid_sort_key',
  'invalid_sort_direction',
  'invalid_marker',
  'invalid_limit',
  'invalid_filter',
  'bad_request', // already-formatted 400 message
  // 403
  'policy_forbidden',
  'quota_exceeded',
  // 404
  'not_found',
  // 406
  'not_acceptable',
  // 415
  'unsupported_media_type',
  // 409
  'immutable',
  'lb_pending_state',
  'duplicate_listener',
  'duplicate_member',
  'duplicate_health_monitor',
  'duplicate_pool',
  'pool_in_use_by_l7policy',
  'too_many_l7rules',
  'id_already_exists',
  'record_already_exists',
  'object_in_use',
  'vip_address_conflict',
  // 413
  'request_too_large',
  // 5xx
  'project_busy',
  'provider_driver_error',
  'provider_not_found',
  'provider_not_implemented',
  'provider_unsupported_option',
  // internal, never shown to users as such
  'lease_lost',
  'driver_error',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface DomainErrorOptions {
  /** Extra detail for operators (logs, job records); never shown to API users. */
  readonly operatorMessage?: string;
  /** True when repeating the same operation later may succeed (timeouts, busy resources). */
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly operatorMessage: string;
  readonly retryable: boolean;

  constructor(code: ErrorCode, userMessage: string, options: DomainErrorOptions = {}) {
    super(userMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.operatorMessage = options.operatorMessage ?? userMessage;
    this.retryable = options.retryable ?? false;
  }
}

export function isDomainError(err: unknown, code?: ErrorCode): err is DomainError {
  return err instanceof DomainError && (code === undefined || err.code === code);
}

/**
 * Constructors for the catalogue, one per upstream exception, so that message templates live in
 * exactly one place.
 */
export const Errors = {
  validation: (detail: string) => new DomainError('validation', `Validation failure: ${detail}`),
  invalidOption: (value: unknown, option: string) =>
    new DomainError('invalid_option', `${pyStr(value)} is not a valid option for ${option}`),
  disabledOption: (option: string, value: unknown) =>
    new DomainError('disabled_option', `The selected ${option} is not allowed in this deployment: ${pyStr(value)}`),
  vipValidation: (objects: string) =>
    new DomainError('vip_validation', `Validation failure: VIP must contain one of: ${objects}.`),
  l7rule: (error: string) => new DomainError('l7rule_validation', `Error parsing L7Rule: Invalid L7 Rule: ${error}`),
  /** L7 rule errors other than InvalidL7Rule: `Invalid characters in <what>`, `Unable to parse regular expression: <e>`. */
  l7ruleParse: (error: string) => new DomainError('l7rule_validation', `Error parsing L7Rule: ${error}`),
  l7policyAction: (action: string) =>
    new DomainError('l7policy_invalid_action', `Invalid L7 Policy action specified: ${action}`),
  l7policyArgs: (msg: string) => new DomainError('l7policy_invalid_args', `Invalid L7 Policy arguments: ${msg}`),
  singleCreateDetailsMissing: (type: string, name: string) =>
    new DomainError('single_create_details_missing', `Missing details for ${type} object: ${name}`),
  invalidSubresource: (resource: string, id: string) =>
    new DomainError('invalid_subresource', `${resource} ${id} not found.`),
  certificateRetrieval: (ref: string) =>
    new DomainError('certificate_retrieval', `Could not retrieve certificate: ${ref}`),
  missingProjectId: () =>
    new DomainError(
      'missing_project_id',
      'Validation failure: Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.',
    ),
  listenerNoChildren: (protocol: string) =>
    new DomainError('listener_no_children', `Protocol ${protocol} listeners cannot have child objects.`),
  memberSriovDisabled: () =>
    new DomainError('member_sriov_disabled', 'The load balancer flavor does not allow SR-IOV member ports.'),
  providerNotEnabled: (prov: string) => new DomainError('provider_not_enabled', `Provider '${prov}' is not enabled.`),
  providerFlavorMismatch: (flav: string, prov: string) =>
    new DomainError('provider_flavor_mismatch', `Flavor '${flav}' is not compatible with provider '${prov}'`),
  invalidSortKey: (key: string) => new DomainError('invalid_sort_key', `Supplied sort key '${key}' is not valid.`),
  invalidSortDirection: (dir: string) =>
    new DomainError('invalid_sort_direction', `Supplied sort direction '${dir}' is not valid.`),
  invalidMarker: (marker: string) => new DomainError('invalid_marker', `Supplied pagination marker '${marker}' is not valid.`),
  invalidLimit: (limit: string) => new DomainError('invalid_limit', `Supplied pagination limit '${limit}' is not valid.`),
  invalidFilter: () => new DomainError('invalid_filter', 'One or more arguments are either duplicate or invalid'),
  badRequest: (message: string) => new DomainError('bad_request', message),
  missingArgument: (name: string) => new DomainError('bad_request', `Missing argument: "${name}"`),
  unsupportedMediaType: (type: string) => new DomainError('unsupported_media_type', `Unknown mimetype: ${type}`),
  policyForbidden: () => new DomainError('policy_forbidden', 'Policy does not allow this request to be performed.'),
  quotaExceeded: (resource: string) =>
    new DomainError('quota_exceeded', `Quota has been met for resources: ${resource}`),
  notFound: (resource: string, id: string) => new DomainError('not_found', `${resource} ${id} not found.`),
  immutable: (resource: string, id: string) =>
    new DomainError('immutable', `${resource} ${id} is immutable and cannot be updated.`),
  lbPendingState: (state: string, id: string) =>
    new DomainError('lb_pending_state', `Invalid state ${state} of loadbalancer resource ${id}`),
  duplicateListener: (protocol: string, port: number) =>
    new DomainError(
      'duplicate_listener',
      `Another Listener on this Load Balancer is already using protocol ${protocol} and protocol_port ${port}`,
    ),
  duplicateMember: (ip: string, port: number) =>
    new DomainError(
      'duplicate_member',
      `Another member on this pool is already using ip ${ip} on protocol_port ${port}`,
    ),
  duplicateHealthMonitor: () => new DomainError('duplicate_health_monitor', 'This pool already has a health monitor'),
  duplicatePool: () => new DomainError('duplicate_pool', 'This listener already has a default pool'),
  poolInUseByL7Policy: (id: string, l7policyId: string) =>
    new DomainError('pool_in_use_by_l7policy', `Pool ${id} is in use by L7 policy ${l7policyId}`),
  tooManyL7Rules: (id: string) => new DomainError('too_many_l7rules', `Too many rules on L7 policy ${id}`),
  idAlreadyExists: () => new DomainError('id_already_exists', 'Already an entity with that specified id.'),
  recordAlreadyExists: (field: string, name: string) =>
    new DomainError('record_already_exists', `A ${field} of ${name} already exists.`),
  objectInUse: (object: string, id: string) =>
    new DomainError('object_in_use', `${object} ${id} is in use and cannot be modified.`),
  vipAddressConflict: (msg: string) =>
    new DomainError('vip_address_conflict', `The VIP IP address is already in use: ${msg}`),
  projectBusy: () =>
    new DomainError('project_busy', 'Project busy.  Unable to lock the project.  Please try again.', {
      retryable: true,
    }),
  providerDriverError: (prov: string, userMsg: string, operatorMsg?: string) =>
    new DomainError('provider_driver_error', `Provider '${prov}' reports error: ${userMsg}`, {
      operatorMessage: operatorMsg ?? userMsg,
    }),
  providerNotFound: (prov: string) => new DomainError('provider_not_found', `Provider '${prov}' was not found.`),
  providerNotImplemented: (prov: string, userMsg: string) =>
    new DomainError('provider_not_implemented', `Provider '${prov}' does not support a requested action: ${userMsg}`),
  providerUnsupportedOption: (prov: string, userMsg: string) =>
    new DomainError(
      'provider_unsupported_option',
      `Provider '${prov}' does not support a requested option: ${userMsg}`,
    ),
} as const;

/** Python's str() of a value, as upstream's message templates render it. */
export function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return pyNumber(value);
  return pyRepr(value);
}

/** Python's repr() of a JSON value (lists and dicts as Python prints them). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumber(value);
  if (typeof value === 'string') return pyStringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pyStringRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

function pyNumber(n: number): string {
  if (Number.isInteger(n) && !Object.is(n, -0)) return String(n);
  if (Number.isInteger(n)) return '-0.0';
  return String(n);
}

function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)
      out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}
