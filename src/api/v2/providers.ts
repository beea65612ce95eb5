/**
 * Providers (spec §2.10): the enabled provider drivers, their flavor and availability zone
 * capabilities, and how a load balancer's provider is chosen from its request and flavor.
 */
import { Errors } from '../../domain/errors.js';
import type { Store } from '../../db/store.js';
import type { ProviderDriver } from '../../providers/provider-driver.js';
import { policy } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { ApiRequest, Router } from '../router.js';
import { check } from './common.js';
import { fieldsParam, selectFields } from './list-params.js';

/** The driver of an enabled provider: 400 when not enabled, 501 when enabled but not loadable. */
export function getDriver(deps: ApiDeps, name: string | null | undefined): ProviderDriver {
  const provider = name === undefined ? deps.config.api_settings.default_provider_driver : name || 'amphora';
  // Own keys only: `toString` and friends are not enabled providers.
  if (!Object.hasOwn(deps.config.api_settings.enabled_provider_drivers, provider)) throw Errors.providerNotEnabled(provider);
  const driver = deps.providers.get(provider);
  if (!driver) throw Errors.providerNotFound(provider);
  return driver;
}

/**
 * Upstream's `_get_provider` + flavor application: the flavor's profile decides the provider unless
 * the request names one, in which case both must agree. Returns the driver and the flavor metadata.
 */
export async function resolveProvider(
  deps: ApiDeps,
  store: Store,
  requested: string | null | undefined,
  flavorId: string | null | undefined,
): Promise<{ provider: ProviderDriver; flavorMetadata: Record<string, unknown> }> {
  let flavorProvider: string | null = null;
  let flavorMetadata: Record<string, unknown> = {};
  if (flavorId) {
    const flavor = await store.flavors.get(flavorId);
    const profile = flavor ? await store.flavors.getProfile(flavor.flavorProfileId) : null;
    if (!flavor || !profile) throw Errors.validation('Invalid flavor_id.');
    // An empty provider name in a profile means the amphora provider (upstream's default).
    flavorProvider = profile.providerName || 'amphora';
    flavorMetadata = JSON.parse(profile.flavorData) as Record<string, unknown>;
  }
  let name: string | null | undefined;
  if (requested === undefined && !flavorProvider) name = undefined;
  else if (requested !== undefined && flavorProvider) {
    if (flavorProvider !== requested) throw Errors.providerFlavorMismatch(flavorId!, String(requested));
    name = flavorProvider;
  } else if (!flavorProvider) name = requested;
  else name = flavorProvider;
  const provider = getDriver(deps, name);
  if (Object.keys(flavorMetadata).length > 0) provider.validateFlavor(flavorMetadata);
  return { provider, flavorMetadata };
}

function capabilityList(req: ApiRequest, caps: readonly { name: string; description: string }[]) {
  const last = (v: unknown) => (Array.isArray(v) ? v[v.length - 1] : v) as string | undefined;
  const name = last(req.query['name']);
  const description = last(req.query['description']);
  const fields = fieldsParam(req.query);
  return caps
    .filter((c) => !name || c.name === name)
    .filter((c) => !description || c.description === description)
    .map((c) => selectFields({ name: c.name, description: c.description }, fields));
}

export function registerProviders(r: Router, deps: ApiDeps, prefixes: readonly string[]): void {
  const mount = { prefixes };
  r.add(
    {
      method: 'GET',
      path: '/providers',
      summary: 'List enabled provider drivers',
      handler: async (req) => {
        check(deps, req, policy('provider', 'get_all'), req.ctx.projectId);
        const fields = fieldsParam(req.query);
        const providers = Object.entries(deps.config.api_settings.enabled_provider_drivers)
          .filter(([name]) => deps.providers.has(name))
          .map(([name, description]) => selectFields({ name, description }, fields));
        return { status: 200, body: { providers } };
      },
    },
    mount,
  );
  r.add(
    {
      method: 'GET',
      path: '/providers/:provider/flavor_capabilities',
      summary: 'Flavor metadata a provider understands',
      handler: async (req) => {
        check(deps, req, policy('provider-flavor', 'get_all'), req.ctx.projectId);
        const driver = getDriver(deps, req.params['provider']!);
        return { status: 200, body: { flavor_capabilities: capabilityList(req, driver.flavorCapabilities()) } };
      },
    },
    mount,
  );
  r.add(
    {
      method: 'GET',
      path: '/providers/:provider/availability_zone_capabilities',
      summary: 'Availability zone metadata a provider understands',
      handler: async (req) => {
        check(deps, req, policy('provider-availability-zone', 'get_all'), req.ctx.projectId);
        const driver = getDriver(deps, req.params['provider']!);
        return {
          status: 200,
          body: { availability_zone_capabilities: capabilityList(req, driver.availabilityZoneCapabilities()) },
        };
      },
    },
    mount,
  );
}
