/**
 * The API's one error mapper: DomainError code → HTTP status and upstream's error body. Two body
 * shapes exist upstream (spec §1.4): WSME's fault body for everything the controllers raise, and
 * webob's `{code,title,description}` for routing errors and content negotiation.
 */
import type { ErrorCode } from '../domain/errors.js';
import { DomainError } from '../domain/errors.js';

const STATUS: Readonly<Record<ErrorCode, number>> = {
  validation: 400,
  invalid_input: 400,
  unknown_attribute: 400,
  invalid_option: 400,
  disabled_option: 400,
  vip_validation: 400,
  l7rule_validation: 400,
  l7policy_invalid_action: 400,
  l7policy_invalid_args: 400,
  single_create_details_missing: 400,
  invalid_subresource: 400,
  certificate_retrieval: 400,
  missing_project_id: 400,
  listener_no_children: 400,
  member_sriov_disabled: 400,
  provider_not_enabled: 400,
  provider_flavor_mismatch: 400,
  invalid_sort_key: 400,
  invalid_sort_direction: 400,
  invalid_marker: 400,
  invalid_limit: 400,
  invalid_filter: 400,
  bad_request: 400,
  policy_forbidden: 403,
  quota_exceeded: 403,
  not_found: 404,
  not_acceptable: 406,
  unsupported_media_type: 415,
  immutable: 409,
  lb_pending_state: 409,
  duplicate_listener: 409,
  duplicate_member: 409,
  duplicate_health_monitor: 409,
  duplicate_pool: 409,
  pool_in_use_by_l7policy: 409,
  too_many_l7rules: 409,
  id_already_exists: 409,
  record_already_exists: 409,
  object_in_use: 409,
  vip_address_conflict: 409,
  request_too_large: 413,
  project_busy: 503,
  provider_driver_error: 500,
  provider_not_found: 501,
  provider_not_implemented: 501,
  provider_unsupported_option: 501,
  lease_lost: 500,
  driver_error: 500,
  internal: 500,
};

/**
 * Errors upstream raises before WSME runs (in a pecan hook) use webob's body: pagination limits and
 * sort directions are parsed there.
 */
export function usesWebobBody(err: DomainError): boolean {
  return err.code === 'invalid_limit' || err.code === 'invalid_sort_direction' || err.code === 'not_acceptable';
}

export function statusOf(err: DomainError): number {
  return STATUS[err.code];
}

/** WSME's fault body: faultcode "Client" for 4xx, "Server" otherwise; debuginfo always null. */
export function faultBody(status: number, message: string): Record<string, unknown> {
  return { faultcode: status < 500 ? 'Client' : 'Server', faultstring: message, debuginfo: null };
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
};

/** webob's JSON error body, used by routing and content negotiation errors. */
export function webobBody(status: number, description: string): Record<string, unknown> {
  return { code: status, title: TITLES[status] ?? 'Error', description };
}
