/**
 * A client walk-through is a chain: each command uses what the previous ones created. Steps are
 * subtests (each command shows up by name in the report); once one fails, the rest of its chain
 * is reported as skipped with the name of the step that broke it, instead of as a cascade of
 * follow-on failures that hide the first one.
 */
import type { TestContext } from 'node:test';

export type Step = (name: string, fn: () => Promise<void>) => Promise<void>;

export function steps(t: TestContext): Step {
  let broken: string | null = null;
  return async (name, fn) => {
    if (broken !== null) {
      await t.test(name, { skip: `not run: step "${broken}" failed` }, () => {});
      return;
    }
    await t.test(name, async () => {
      try {
        await fn();
      } catch (err) {
        broken = name;
        throw err;
      }
    });
  };
}
