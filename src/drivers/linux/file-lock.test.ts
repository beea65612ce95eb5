/** The host-wide file lock: callers wait for each other, and a lock left by a dead process is broken. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sleep } from '../../lib/clock.js';
import { withFileLock } from './file-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'octavius-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('sections under one lock never overlap, and the lock file is gone afterwards', async () => {
  const path = join(dir, 'a.lock');
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 6 }, () =>
      withFileLock(path, async () => {
        inside++;
        most = Math.max(most, inside);
        await sleep(5);
        inside--;
      }),
    ),
  );
  assert.equal(most, 1);
  assert.equal(existsSync(path), false);
});

test('a lock whose owner died is taken over; one held by a live process is waited for until the timeout', async () => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  const stale = join(dir, 'stale.lock');
  writeFileSync(stale, `${dead}\n`);
  assert.equal(await withFileLock(stale, async () => 'ran'), 'ran');

  const held = join(dir, 'held.lock');
  writeFileSync(held, '1\n'); // pid 1 is always alive
  await assert.rejects(withFileLock(held, async () => 'ran', 200), /held by process 1/);
});
