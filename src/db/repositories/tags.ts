/** Tags of every taggable object live in one table keyed by the object id (as upstream). */
import { chunks } from '../list-query.js';
import type { Executor } from '../store.js';

export class TagRepository {
  readonly #ex: Executor;
  constructor(ex: Executor) {
    this.#ex = ex;
  }

  async forIds(ids: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (ids.length === 0) return out;
    for (const part of chunks(ids)) {
      const rows = await this.#ex
        .selectFrom('tag')
        .select(['resource_id', 'tag'])
        .where('resource_id', 'in', part)
        .orderBy('tag')
        .execute();
      for (const r of rows) {
        let list = out.get(r.resource_id);
        if (!list) out.set(r.resource_id, (list = []));
        list.push(r.tag);
      }
    }
    return out;
  }

  async of(id: string): Promise<string[]> {
    return (await this.forIds([id])).get(id) ?? [];
  }

  /** Adds tags to an object that has none yet (a new row). */
  async add(id: string, tags: readonly string[]): Promise<void> {
    const unique = [...new Set(tags)];
    if (unique.length > 0) await this.#ex.insertInto('tag').values(unique.map((tag) => ({ resource_id: id, tag }))).execute();
  }

  /** Replaces the whole tag list (PUT semantics). */
  async set(id: string, tags: readonly string[]): Promise<void> {
    await this.#ex.deleteFrom('tag').where('resource_id', '=', id).execute();
    const unique = [...new Set(tags)];
    if (unique.length > 0) {
      await this.#ex
        .insertInto('tag')
        .values(unique.map((tag) => ({ resource_id: id, tag })))
        .execute();
    }
  }

  async deleteFor(ids: readonly string[]): Promise<void> {
    for (const part of chunks(ids)) await this.#ex.deleteFrom('tag').where('resource_id', 'in', part).execute();
  }
}
