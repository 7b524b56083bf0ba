/**
 * The settings and secrets of a Salesforce connection: the org URL, the connected app, and one of three
 * OAuth flows (refresh token, username-password, client credentials). Secrets are encrypted by the hub
 * store; everything else is kept as settings.
 */
import { z } from 'zod';
import type { StoredConnectionParts } from '../connector';

export const SalesforceConnectionSchema = z
  .object({
    baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be the org URL, e.g. https://acme.my.salesforce.com' }),
    loginUrl: z.url({ protocol: /^https?$/ }).optional(),
    apiVersion: z.string().regex(/^\d+\.0$/, 'apiVersion looks like 62.0').optional(),
    clientId: z.string().min(1, 'clientId (the connected app consumer key) is required'),
    clientSecret: z.string().min(1).optional(),
    refreshToken: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => c.refreshToken || (c.username && c.password) || c.clientSecret, {
    message: 'give a refreshToken, or a username and password, or a clientSecret (client credentials)',
  })
  .refine((c) => !c.username === !c.password, { message: 'username and password go together' });

export type SalesforceConnectionInput = z.infer<typeof SalesforceConnectionSchema>;

/** What is stored in settings (never a secret). */
export const SalesforceSettingsSchema = z.object({
  /** Where the OAuth token endpoint lives (login.salesforce.com, a My Domain, or the sandbox). */
  loginUrl: z.string(),
  clientId: z.string(),
  apiVersion: z.string().optional(),
  username: z.string().optional(),
});

export type SalesforceSettings = z.infer<typeof SalesforceSettingsSchema>;

export const SalesforceSecretsSchema = z.object({
  clientSecret: z.string().optional(),
  refreshToken: z.string().optional(),
  password: z.string().optional(),
});

export type SalesforceSecrets = z.infer<typeof SalesforceSecretsSchema>;

export function salesforceToStored(input: Record<string, unknown>): StoredConnectionParts {
  const c = SalesforceConnectionSchema.parse(input);
  const secrets = Object.fromEntries(
    Object.entries({ clientSecret: c.clientSecret, refreshToken: c.refreshToken, password: c.password }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const settings: SalesforceSettings = {
    loginUrl: c.loginUrl ?? c.baseUrl,
    clientId: c.clientId,
    ...(c.apiVersion ? { apiVersion: c.apiVersion } : {}),
    ...(c.username ? { username: c.username } : {}),
  };
  return { baseUrl: c.baseUrl.replace(/\/+$/, ''), settings, secrets };
}
