// Write-back's value conversion and comparison (W3, W8, W13): what a CRM field accepts, in its own format.
import { canonical, convertValue, pathParts, sameValue, SourceFieldProblem } from '../../activities/writeback/fields';
import type { WritableField } from '../../kernel/writeback';

const field = (type: string, extra: Partial<WritableField> = {}): WritableField => ({
  name: 'F__c',
  label: 'F',
  type,
  nillable: true,
  restrictedPicklist: false,
  picklistValues: [],
  length: 0,
  ...extra,
});

describe('convertValue (W3)', () => {
  it('joins a multi-select list with ; and checks each value of a restricted picklist', () => {
    const products = field('multipicklist', { restrictedPicklist: true, picklistValues: ['Analytics', 'Engage'] });
    expect(convertValue(products, ['Engage', 'Analytics'])).toEqual({ ok: true, crm: 'Engage;Analytics', hub: ['Engage', 'Analytics'] });
    expect(convertValue(products, 'Analytics;Engage')).toEqual({ ok: true, crm: 'Analytics;Engage', hub: ['Analytics', 'Engage'] });
    expect(convertValue(products, ['Analytics', 'Nope'])).toMatchObject({ ok: false, problem: expect.stringMatching(/'Nope' is not a value of the restricted picklist F__c; allowed: Analytics, Engage/) });
    expect(convertValue(field('multipicklist'), ['free value'])).toMatchObject({ ok: true, crm: 'free value' });
  });

  it('converts numbers, booleans, dates and datetimes from text, and refuses what they are not', () => {
    expect(convertValue(field('double'), '42.5')).toEqual({ ok: true, crm: 42.5, hub: 42.5 });
    expect(convertValue(field('int'), '4.5')).toMatchObject({ ok: false, problem: expect.stringMatching(/whole number/) });
    expect(convertValue(field('currency'), 'lots')).toMatchObject({ ok: false, problem: expect.stringMatching(/takes a number, not 'lots'/) });
    expect(convertValue(field('boolean'), 'TRUE')).toEqual({ ok: true, crm: true, hub: true });
    expect(convertValue(field('boolean'), 'yes')).toMatchObject({ ok: false });
    expect(convertValue(field('date'), '2026-02-30')).toMatchObject({ ok: false, problem: expect.stringMatching(/YYYY-MM-DD/) });
    expect(convertValue(field('date'), '2026-12-01')).toEqual({ ok: true, crm: '2026-12-01', hub: '2026-12-01' });
    expect(convertValue(field('datetime'), '2026-12-01T09:30:00+01:00')).toEqual({ ok: true, crm: '2026-12-01T08:30:00.000Z', hub: '2026-12-01T08:30:00.000Z' });
    expect(convertValue(field('datetime'), 'tomorrow')).toMatchObject({ ok: false });
  });

  it('checks text length, email format, lists on single values and empty values on required fields', () => {
    expect(convertValue(field('string', { length: 5 }), 'toolong')).toMatchObject({ ok: false, problem: expect.stringMatching(/at most 5 characters; the value has 7/) });
    expect(convertValue(field('email'), 'not-an-email')).toMatchObject({ ok: false, problem: expect.stringMatching(/email address/) });
    expect(convertValue(field('picklist'), ['a', 'b'])).toMatchObject({ ok: false, problem: expect.stringMatching(/one value, not a list of 2/) });
    expect(convertValue(field('string', { nillable: false }), null)).toMatchObject({ ok: false, problem: expect.stringMatching(/cannot be empty/) });
    expect(convertValue(field('string'), '')).toEqual({ ok: true, crm: null, hub: null });
    expect(convertValue(field('string'), 12)).toMatchObject({ ok: false, problem: expect.stringMatching(/takes text, not the number 12/) });
  });
});

describe('comparing CRM values with what the hub saw (W13)', () => {
  it('ignores the order of multi-select values, the case of emails, and text versus number forms', () => {
    expect(sameValue(field('multipicklist'), 'b;a', ['a', 'b'])).toBe(true);
    expect(sameValue(field('multipicklist'), 'a;c', ['a', 'b'])).toBe(false);
    expect(sameValue(field('email'), 'Ann@Example.com', 'ann@example.com')).toBe(true);
    expect(sameValue(field('double'), 42, '42')).toBe(true);
    expect(sameValue(field('string'), null, '')).toBe(true);
    expect(sameValue(field('string'), 'x', null)).toBe(false);
    expect(canonical(field('picklist'), 'Tier 1')).toBe('"Tier 1"');
  });
});

describe('pathParts (W8)', () => {
  it('takes fields and first-level references, and refuses deeper ones', () => {
    expect(pathParts('Tier__c')).toEqual({ relationship: null, field: 'Tier__c' });
    expect(pathParts('Owner.Email')).toEqual({ relationship: 'Owner', field: 'Email' });
    expect(() => pathParts('Owner.Manager.Email')).toThrow(SourceFieldProblem);
    expect(() => pathParts('Owner.Manager.Email')).toThrow(/2 levels deep.*\(W8\)/);
  });
});
