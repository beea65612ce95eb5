/**
 * What a renderer reports instead of throwing when user data cannot be rendered (STYLE.md: bad user
 * input becomes a problem on that object and the rest still renders). Shared by render/haproxy and
 * render/keepalived.
 */

export const RENDER_OBJECT_TYPES = [
  'loadbalancer',
  'listener',
  'pool',
  'member',
  'healthmonitor',
  'l7policy',
  'l7rule',
  'amphora',
] as const;
export type RenderObjectType = (typeof RENDER_OBJECT_TYPES)[number];

export interface RenderProblem {
  readonly objectId: string;
  readonly objectType: RenderObjectType;
  readonly message: string;
  /**
   * `error`: the object (and what only it carries) was left out of the file.
   * `notice`: the object was rendered with an adjustment the operator should know about
   * (for example maxconn capped to what the open-files limit allows).
   */
  readonly severity: 'error' | 'notice';
}

/** Collects problems while translating; one per (object, message). */
export class ProblemList {
  readonly #items: RenderProblem[] = [];

  error(objectType: RenderObjectType, objectId: string, message: string): void {
    this.#add({ objectId, objectType, message, severity: 'error' });
  }

  notice(objectType: RenderObjectType, objectId: string, message: string): void {
    this.#add({ objectId, objectType, message, severity: 'notice' });
  }

  #add(p: RenderProblem): void {
    if (!this.#items.some((q) => q.objectId === p.objectId && q.message === p.message)) this.#items.push(p);
  }

  /** Sorted so that the same input always reports the same list. */
  toArray(): readonly RenderProblem[] {
    const rank = (t: RenderObjectType): number => RENDER_OBJECT_TYPES.indexOf(t);
    return [...this.#items].sort(
      (a, b) =>
        rank(a.objectType) - rank(b.objectType) ||
        cmp(a.objectId, b.objectId) ||
        cmp(a.message, b.message),
    );
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
