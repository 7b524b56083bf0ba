/**
 * The connector of each CRM kind. A new CRM is a folder under crm/ exporting a CrmConnector, added here.
 */
import type { ConnectionKind } from '../../kernel/job-kinds';
import { ConfigurationError } from '../../kernel/errors';
import type { CrmConnector } from './connector';
import { dataverseConnector } from './dynamics/session';
import { hubspotConnector } from './hubspot/session';
import { salesforceConnector } from './salesforce/session';

const CONNECTORS: Partial<Record<ConnectionKind, CrmConnector>> = {
  salesforce: salesforceConnector,
  hubspot: hubspotConnector,
  dynamics: dataverseConnector,
};

export function connectorFor(kind: ConnectionKind): CrmConnector {
  const connector = CONNECTORS[kind];
  if (!connector) {
    throw new ConfigurationError(`Connections of kind '${kind}' are not supported yet; hubsync connects to ${Object.keys(CONNECTORS).join(', ')} today.`);
  }
  return connector;
}
