// Dynamics sandbox: table definitions as dynamics-web-api's retrieveEntity, retrieveEntities and
// retrieveAttributes ask for them (select, expand, casts to Picklist/MultiSelectPicklist with their option sets).
import { failure, GUID, sandboxForFile } from './support';

const { api } = sandboxForFile();

const labelOf = (text: string) => ({ UserLocalizedLabel: expect.objectContaining({ Label: text, LanguageCode: 1033 }), LocalizedLabels: [expect.objectContaining({ Label: text })] });

describe('Dynamics sandbox: metadata', () => {
  it('retrieves a table definition by logical name with $select', async () => {
    const account = await api().retrieveEntity({ key: "LogicalName='account'", select: ['LogicalName', 'EntitySetName', 'PrimaryIdAttribute', 'PrimaryNameAttribute', 'DisplayName', 'ChangeTrackingEnabled', 'IsValidForAdvancedFind', 'ObjectTypeCode'] });
    expect(account).toMatchObject({ LogicalName: 'account', EntitySetName: 'accounts', PrimaryIdAttribute: 'accountid', PrimaryNameAttribute: 'name', DisplayName: labelOf('Account'), ChangeTrackingEnabled: true, IsValidForAdvancedFind: true, ObjectTypeCode: 1, MetadataId: expect.stringMatching(GUID) });
    expect(account).not.toHaveProperty('SchemaName');
    const contact = await api().retrieveEntity({ key: "LogicalName='contact'", select: ['PrimaryNameAttribute'] });
    expect(contact.PrimaryNameAttribute).toBe('fullname');
  });

  it('expands Attributes with a nested $select, and lists tables with $filter', async () => {
    const account = await api().retrieveEntity({ key: "LogicalName='account'", select: ['LogicalName'], expand: [{ property: 'Attributes', select: ['LogicalName', 'AttributeType'] }] });
    const attributes = account.Attributes as { LogicalName: string; AttributeType: string }[];
    expect(attributes).toEqual(expect.arrayContaining([expect.objectContaining({ LogicalName: 'hubsync_tier', AttributeType: 'Picklist' }), expect.objectContaining({ LogicalName: 'ownerid', AttributeType: 'Owner' })]));
    const list = await api().retrieveEntities({ select: ['LogicalName', 'EntitySetName'], filter: "LogicalName eq 'contact'" });
    expect(list.value).toEqual([{ LogicalName: 'contact', EntitySetName: 'contacts', MetadataId: expect.stringMatching(GUID) }]);
    const tracked = await api().retrieveEntities({ select: ['LogicalName'], filter: 'ChangeTrackingEnabled eq true' });
    expect(tracked.value.map((e: { LogicalName: string }) => e.LogicalName).sort()).toEqual(['account', 'contact']);
  });

  it('describes attributes: types, lengths, required levels, read-only columns, lookup targets', async () => {
    const { value } = await api().retrieveAttributes({ entityKey: "LogicalName='contact'" });
    const byName = new Map(value.map((a: { LogicalName: string }) => [a.LogicalName, a]));
    expect(byName.get('lastname')).toMatchObject({ '@odata.type': '#Microsoft.Dynamics.CRM.StringAttributeMetadata', AttributeType: 'String', AttributeTypeName: { Value: 'StringType' }, MaxLength: 50, RequiredLevel: { Value: 'ApplicationRequired' }, IsValidForCreate: true, IsValidForUpdate: true, IsCustomAttribute: false });
    expect(byName.get('fullname')).toMatchObject({ IsPrimaryName: true, IsValidForCreate: false, IsValidForUpdate: false, IsValidForRead: true });
    expect(byName.get('contactid')).toMatchObject({ IsPrimaryId: true, AttributeType: 'Uniqueidentifier' });
    expect(byName.get('parentcustomerid')).toMatchObject({ AttributeType: 'Customer', Targets: ['account', 'contact'] });
    expect(byName.get('parentcustomeridname')).toMatchObject({ AttributeOf: 'parentcustomerid' });
    expect(byName.get('modifiedon')).toMatchObject({ AttributeType: 'DateTime', IsValidForUpdate: false });
  });

  it('casts to PicklistAttributeMetadata and MultiSelectPicklistAttributeMetadata with OptionSet options and labels', async () => {
    const picklists = await api().retrieveAttributes({ entityKey: "LogicalName='account'", castType: 'Microsoft.Dynamics.CRM.PicklistAttributeMetadata', select: ['LogicalName'], expand: [{ property: 'OptionSet', select: ['Options'] }] });
    const names = picklists.value.map((a: { LogicalName: string }) => a.LogicalName);
    expect(names.sort()).toEqual(['hubsync_tier', 'industrycode']);
    const tier = picklists.value.find((a: { LogicalName: string }) => a.LogicalName === 'hubsync_tier');
    expect(tier.OptionSet.Options.map((o: { Value: number; Label: { UserLocalizedLabel: { Label: string } } }) => [o.Value, o.Label.UserLocalizedLabel.Label])).toEqual([
      [100000000, 'Tier 1'],
      [100000001, 'Tier 2'],
      [100000002, 'Tier 3'],
    ]);
    const industry = picklists.value.find((a: { LogicalName: string }) => a.LogicalName === 'industrycode');
    expect(industry.OptionSet.Options[0]).toMatchObject({ Value: 1, Label: labelOf('Accounting') });

    const multi = await api().retrieveAttributes({ entityKey: "LogicalName='account'", castType: 'Microsoft.Dynamics.CRM.MultiSelectPicklistAttributeMetadata', select: ['LogicalName'], expand: [{ property: 'OptionSet', select: ['Options'] }] });
    expect(multi.value).toHaveLength(1);
    expect(multi.value[0].LogicalName).toBe('hubsync_products');
    expect(multi.value[0].OptionSet.Options.map((o: { Label: { UserLocalizedLabel: { Label: string } } }) => o.Label.UserLocalizedLabel.Label)).toEqual(['Analytics', 'Automation', 'Engage', 'Insights', 'Platform']);
  });

  it('answers 404 for an unknown table and for a cast that does not exist', async () => {
    expect(await failure(api().retrieveEntity({ key: "LogicalName='nosuchtable'" }))).toMatchObject({ status: 404, code: '0x80040217' });
    expect(await failure(api().retrieveAttributes({ entityKey: "LogicalName='account'", castType: 'Microsoft.Dynamics.CRM.NoSuchAttributeMetadata' }))).toMatchObject({ status: 404, code: '0x8006088a' });
    expect(await failure(api().retrieveEntity({ key: "LogicalName='account'", select: ['NoSuchProperty'] }))).toMatchObject({ status: 400, message: "Could not find a property named 'NoSuchProperty' on type 'Microsoft.Dynamics.CRM.EntityMetadata'." });
  });
});
