// Salesforce record IDs: the 3-character suffix that makes 18-character IDs case-insensitive.
import { makeId, normalizeId, to18 } from '../../sandbox/salesforce/ids';

describe('Salesforce sandbox IDs', () => {
  it('computes the case-safe suffix as Salesforce does (documented example 00190000001pPvH → …AAU)', () => {
    expect(to18('00190000001pPvH')).toBe('00190000001pPvHAAU');
    expect(to18('001D000000IqhSL')).toBe('001D000000IqhSLIAZ');
  });

  it('accepts 15-character IDs and 18-character IDs in any letter case, and refuses the rest', () => {
    expect(normalizeId('00190000001pPvH')).toBe('00190000001pPvHAAU');
    expect(normalizeId('00190000001PPVHAAU')).toBe('00190000001pPvHAAU');
    expect(normalizeId('00190000001ppvhaau')).toBe('00190000001pPvHAAU');
    // A suffix may only mark letters as upper case, and only uses A-Z and 0-5.
    expect(normalizeId('00190000001pPvHBAU')).toBeUndefined();
    expect(normalizeId('00190000001pPvHAA9')).toBeUndefined();
    expect(normalizeId('not-an-id')).toBeUndefined();
    expect(normalizeId('00190000001pPv')).toBeUndefined();
  });

  it('builds IDs with the key prefix and a valid suffix', () => {
    const id = makeId('00T', 123456);
    expect(id).toMatch(/^00T[0-9A-Za-z]{15}$/);
    expect(normalizeId(id)).toBe(id);
    expect(normalizeId(id.toLowerCase())).toBe(id);
  });
});
