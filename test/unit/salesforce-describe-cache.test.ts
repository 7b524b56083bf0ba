// The Salesforce session's describe cache (activities/crm/salesforce/client.ts describeCache): an answer, and
// "no such object", are asked once; a describe that failed (REQUEST_LIMIT_EXCEEDED, a 5xx) is asked again by
// the next caller. Found by the chaos campaign (issue 14 §1): with the failure remembered, every retry of a
// run's beginRun on that worker failed the same way until the run gave up.
import type { Connection } from 'jsforce';
import { describeCache } from '../../activities/crm/salesforce/client';

const TASK = { name: 'Task', label: 'Task', createable: true, updateable: true, queryable: true, fields: [] };
const limitExceeded = () => Object.assign(new Error('TotalRequests Limit exceeded.'), { errorCode: 'REQUEST_LIMIT_EXCEEDED' });
const notFound = () => Object.assign(new Error("The requested resource does not exist"), { errorCode: 'NOT_FOUND' });

describe('the Salesforce describe cache', () => {
  it('asks again after a failed describe, and only once after a good one', async () => {
    const describe = jest.fn().mockRejectedValueOnce(limitExceeded()).mockResolvedValue(TASK);
    const lookup = describeCache({ describe } as unknown as Connection);
    await expect(lookup('Task')).rejects.toMatchObject({ kind: 'rate-limit', code: 'REQUEST_LIMIT_EXCEEDED' });
    await expect(lookup('Task')).resolves.toMatchObject({ name: 'Task' });
    await expect(lookup('task')).resolves.toMatchObject({ name: 'Task' });
    expect(describe).toHaveBeenCalledTimes(2);
  });

  it('remembers that an object does not exist', async () => {
    const describe = jest.fn().mockRejectedValue(notFound());
    const lookup = describeCache({ describe } as unknown as Connection);
    await expect(lookup('Nope__c')).resolves.toBeUndefined();
    await expect(lookup('Nope__c')).resolves.toBeUndefined();
    expect(describe).toHaveBeenCalledTimes(1);
  });
});
