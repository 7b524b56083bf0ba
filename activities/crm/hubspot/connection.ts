/**
 * The settings and secrets of a HubSpot connection: the API's base URL and one of HubSpot's two ways in, a
 * private app's access token, or a public app's OAuth client with a refresh token (the access tokens it
 * yields expire, typically after 30 minutes). Secrets are encrypted by the hub store; everything else is kept
 * as settings.
 */
import { z } from 'zod';
import type { StoredConnectionParts } from '../connector';

/** HubSpot's API host; the OAuth token endpoint (`/oauth/v1/token`) lives there too. */
export const HUBSPOT_API_URL = 'https://api.hubapi.com';

/** HubSpot documents its search endpoints as limited to five requests a second per account. */
export const HUBSPOT_SEARCH_PER_SECOND = 5;

export const HubSpotConnectionSchema = z
  .object({
    baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be the API URL, e.g. https://api.hubapi.com' }).default(HUBSPOT_API_URL),
    accessToken: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    refreshToken: z.string().min(1).optional(),
    /** Search calls a second this connection may make (HubSpot's limit unless the account has another). */
    searchPerSecond: z.number().positive().max(1000).optional(),
  })
  .strict()
  .refine((c) => c.accessToken || (c.clientId && c.clientSecret && c.refreshToken), {
    message: "give a private app's accessToken, or an OAuth app's clientId, clientSecret and refreshToken",
  })
  .refine((c) => !(c.accessToken && (c.clientSecret || c.refreshToken)), { message: 'give either an accessToken or the OAuth clientSecret and refreshToken, not both' });

export const HubSpotSettingsSchema = z.object({
  clientId: z.string().optional(),
  searchPerSecond: z.number().optional(),
});

export type HubSpotSettings = z.infer<typeof HubSpotSettingsSchema>;

export const HubSpotSecretsSchema = z.object({
  accessToken: z.string().optional(),
  clientSecret: z.string().optional(),
  refreshToken: z.string().optional(),
});

export type HubSpotSecrets = z.infer<typeof HubSpotSecretsSchema>;

export function hubspotToStored(input: Record<string, unknown>): StoredConnectionParts {
  const c = HubSpotConnectionSchema.parse(input);
  const secrets = Object.fromEntries(
    Object.entries({ accessToken: c.accessToken, clientSecret: c.clientSecret, refreshToken: c.refreshToken }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const settings: HubSpotSettings = { ...(c.clientId ? { clientId: c.clientId } : {}), ...(c.searchPerSecond ? { searchPerSecond: c.searchPerSecond } : {}) };
  return { baseUrl: c.baseUrl.replace(/\/+$/, ''), settings, secrets };
}
