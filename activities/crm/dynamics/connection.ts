/**
 * The settings and secrets of a Microsoft Dataverse (Dynamics 365) connection: the environment's URL (what
 * `serverUrl` takes, e.g. https://contoso.crm.dynamics.com) and an app registration in its Microsoft Entra
 * tenant that signs in with the OAuth 2.0 client-credentials grant (an application user in the environment).
 * The token endpoint is Entra ID's for the tenant unless the connection names another (the local sandbox
 * serves its own); the scope is the environment's `/.default`. The client secret is encrypted by the hub
 * store; everything else is kept as settings.
 */
import { z } from 'zod';
import type { StoredConnectionParts } from '../connector';

/** Entra ID's v2.0 token endpoint for a tenant (ID or domain). */
export const entraTokenUrl = (tenantId: string) => `https://login.microsoftonline.com/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;

export const DataverseConnectionSchema = z
  .object({
    baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be the environment URL, e.g. https://contoso.crm.dynamics.com' }),
    tenantId: z.string().min(1, 'tenantId: the Entra tenant ID (a GUID) or its domain, e.g. contoso.onmicrosoft.com'),
    clientId: z.string().min(1, "clientId: the app registration's Application (client) ID"),
    clientSecret: z.string().min(1, "clientSecret: a client secret of the app registration"),
    /** The OAuth token endpoint; default Entra ID's for the tenant. */
    tokenUrl: z.url({ protocol: /^https?$/, error: 'tokenUrl must be an http(s) URL, e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token' }).optional(),
  })
  .strict();

export const DataverseSettingsSchema = z.object({
  tenantId: z.string(),
  clientId: z.string(),
  tokenUrl: z.string(),
});

export type DataverseSettings = z.infer<typeof DataverseSettingsSchema>;

export const DataverseSecretsSchema = z.object({ clientSecret: z.string().min(1) });

export type DataverseSecrets = z.infer<typeof DataverseSecretsSchema>;

export function dataverseToStored(input: Record<string, unknown>): StoredConnectionParts {
  const c = DataverseConnectionSchema.parse(input);
  const settings: DataverseSettings = { tenantId: c.tenantId, clientId: c.clientId, tokenUrl: c.tokenUrl ?? entraTokenUrl(c.tenantId) };
  return { baseUrl: c.baseUrl.replace(/\/+$/, ''), settings, secrets: { clientSecret: c.clientSecret } };
}
