/**
 * Management addresses of netns amphorae, shared by every controller process on this host without a
 * database: each taken address is a file `<dir>/<address>` created with O_EXCL that names its
 * owner (the compute id). Creating the file is the allocation, so two processes never get the same
 * address; the directory lives on tmpfs, like the namespaces it describes, so a reboot clears both.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '../../domain/errors.js';
import { formatAddress, lastOf, parseInterfaceCidr, type Cidr } from '../../lib/ip-range.js';

export interface MgmtReservation {
  readonly address: string;
  readonly owner: string;
  readonly mtimeMs: number;
}

export class MgmtAddressPool {
  readonly #dir: string;
  readonly #cidr: Cidr;
  readonly #controller: bigint;
  readonly prefixLength: number;

  /** `controllerCidr`: the controller's address on the management bridge with the prefix, e.g. 198.19.0.1/16. */
  constructor(dir: string, controllerCidr: string) {
    const parsed = parseInterfaceCidr(controllerCidr);
    if (!parsed) throw new Error(`not an interface address: ${controllerCidr}`);
    this.#dir = dir;
    this.#cidr = parsed.cidr;
    this.#controller = parsed.address.value;
    this.prefixLength = parsed.cidr.prefix;
  }

  /** Takes the lowest free address for `owner`. Throws driver_error when the network is full. */
  reserve(owner: string): string {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const taken = new Set(readdirSync(this.#dir));
    const c = this.#cidr;
    const last = c.version === 4 ? lastOf(c) - 1n : lastOf(c);
    for (let v = c.network + 1n; v <= last; v++) {
      if (v === this.#controller) continue;
      const address = formatAddress({ version: c.version, value: v });
      if (taken.has(address)) continue;
      try {
        writeFileSync(join(this.#dir, address), owner, { flag: 'wx', mode: 0o600 });
        return address;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    throw new DomainError('driver_error', 'no free address on the amphora management network', { retryable: true });
  }

  /** Gives an address back if `owner` holds it. */
  release(address: string, owner: string): void {
    const file = join(this.#dir, address);
    try {
      if (readFileSync(file, 'utf8') === owner) unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  reservations(): MgmtReservation[] {
    let names: string[];
    try {
      names = readdirSync(this.#dir);
    } catch {
      return [];
    }
    const out: MgmtReservation[] = [];
    for (const address of names) {
      try {
        const file = join(this.#dir, address);
        out.push({ address, owner: readFileSync(file, 'utf8'), mtimeMs: statSync(file).mtimeMs });
      } catch {
        // released meanwhile
      }
    }
    return out;
  }
}
