/** Flavors, availability zones and their provider-specific profiles (spec §2.11). */

export interface FlavorProfile {
  readonly id: string;
  readonly name: string;
  readonly providerName: string;
  /** JSON text, validated by the provider. */
  readonly flavorData: string;
}

export interface Flavor {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly enabled: boolean;
  readonly flavorProfileId: string;
}

export interface AvailabilityZoneProfile {
  readonly id: string;
  readonly name: string;
  readonly providerName: string;
  /** JSON text, validated by the provider. */
  readonly availabilityZoneData: string;
}

export interface AvailabilityZone {
  readonly name: string;
  readonly description: string | null;
  readonly enabled: boolean;
  readonly availabilityZoneProfileId: string;
}
