/**
 * The session persistence rules of pools (spec §2.4) with upstream's messages, shared by pool
 * create, pool update and single-call create. (The TLS rules pools share with listeners are in
 * tls.ts.)
 */
import { Errors } from '../../domain/errors.js';
import type { PoolProtocol } from '../../domain/pool.js';
import type { Json } from './common.js';

const isUdpLike = (protocol: string): boolean => protocol === 'UDP' || protocol === 'SCTP';

/**
 * Upstream's pool-level checks of a session_persistence object followed by
 * validate.check_session_persistence. `sp.type` may be missing on update (no stored type to inherit);
 * upstream then fails on the missing key with "Invalid session_persistence provided.".
 */
export function checkSessionPersistence(protocol: PoolProtocol, sp: Json | null | undefined, mode: 'create' | 'update'): void {
  if (!sp) return;
  const type = (sp['type'] as string | null | undefined) ?? null;
  const cookie = sp['cookie_name'] as string | null | undefined;
  if (isUdpLike(protocol)) {
    if (type === 'SOURCE_IP' && cookie) {
      throw Errors.validation(
        'session_persistence SOURCE_IP type for UDP and SCTP protocols only accepts: type, persistence_timeout, persistence_granularity.',
      );
    }
    if (cookie) throw Errors.validation('Cookie names are not supported for UDP/SCTP pools.');
    if (type === 'HTTP_COOKIE' || type === 'APP_COOKIE') {
      throw Errors.validation(`Session persistence of type ${type} is not supported for UDP/SCTP protocol pools.`);
    }
  } else if (sp['persistence_timeout'] || sp['persistence_granularity']) {
    // Upstream words the update message differently ("UDP protocol pools").
    throw Errors.validation(
      mode === 'create'
        ? 'persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.'
        : 'persistence_timeout and persistence_granularity is only for UDP protocol pools.',
    );
  }
  if (type === null) throw Errors.validation('Invalid session_persistence provided.');
  if (cookie) {
    if (type !== 'APP_COOKIE') {
      throw Errors.validation('Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".');
    }
    // Control characters, space, `"(),/:;<=>?@[\]{}` and DEL are not allowed in a cookie name.
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x20\x22\x28\x29\x2c\x2f\x3a-\x40\x5b-\x5d\x7b\x7d\x7f]/.test(cookie) || !/[\x00-\xff]/.test(cookie)) {
      throw Errors.validation('Supplied "cookie_name" is invalid.');
    }
  }
  if (type === 'APP_COOKIE' && !cookie) {
    throw Errors.validation('Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.');
  }
}
