/** The capture sessions' one-consumer guard. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import { singleSubscription } from '../../src/capture/types.js';

describe('singleSubscription', () => {
  it('serves the first subscriber and refuses a second with an error', async () => {
    let started = 0;
    const records$ = singleSubscription<number>((subscriber) => {
      started++;
      subscriber.next(1);
      subscriber.complete();
    });
    assert.deepEqual(await lastValueFrom(records$.pipe(toArray())), [1]);
    await assert.rejects(lastValueFrom(records$), /a capture session can be subscribed once/);
    assert.equal(started, 1);
  });
});
