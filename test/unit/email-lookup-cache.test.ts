// The owner and contact cache of outbound pages (P6): found users are kept for the TTL; an email asked again
// after its entry expired gets the CRM's new answer, an empty one included.
import type { CrmSession, CrmUser } from '../../activities/crm/connector';
import { EmailLookupCache } from '../../activities/jobs/outbound-page';

describe('EmailLookupCache', () => {
  const ann: CrmUser = { id: '005A', email: 'ann@acme.com', active: true, name: 'Ann' };
  let answer = new Map<string, CrmUser[]>();
  const asked: string[][] = [];
  const session = {
    connectionId: 'c',
    findUsersByEmail: async (emails: string[]) => {
      asked.push(emails);
      return new Map([...answer].filter(([e]) => emails.includes(e)));
    },
  } as unknown as CrmSession;

  it('asks the CRM once while an entry is fresh, and again once it has expired', async () => {
    answer = new Map([['ann@acme.com', [ann]]]);
    const fresh = new EmailLookupCache(60_000);
    expect((await fresh.users(session, ['ann@acme.com'])).get('ann@acme.com')).toEqual([ann]);
    expect((await fresh.users(session, ['ann@acme.com'])).get('ann@acme.com')).toEqual([ann]);
    expect(asked).toHaveLength(1);

    const expiring = new EmailLookupCache(-1);
    await expiring.users(session, ['ann@acme.com']);
    // The user is gone from the CRM now: the expired entry does not answer for it.
    answer = new Map();
    expect((await expiring.users(session, ['ann@acme.com'])).get('ann@acme.com')).toEqual([]);
    expect(asked).toHaveLength(3);
  });
});
