import { SessionRecordSchema, UserRecordSchema, describeIssues } from '../../lambdas/shared/contracts';

const goodSession = {
  user_id: '0b9a4f2e-6a43-4a52-9b0e-2f6c1d6f3a11',
  session_id: '5d2c9a4e-1f0b-4c8e-8a7d-3b6e9f1c2d44',
  session_items: [
    {
      song_id: 'TRAAAAW128F429D538',
      song_name: 'Something',
      artist_id: 'ARD7TVE1187B99BFB1',
      artist_name: 'Casual',
      price: 0.99,
      currency: 'USD',
      liked: true,
      liked_since: '2020-01-15T10:00:00.000',
    },
  ],
  user_agent: 'Mozilla/5.0',
  session_start_time: '2020-02-01T12:34:56.000',
};

const goodUser = {
  user_id: '0b9a4f2e-6a43-4a52-9b0e-2f6c1d6f3a11',
  user_name: 'Ada',
  user_lastname: 'Lovelace',
  user_location: ['51.50853', '-0.12574', 'London', 'GB', 'Europe/London'],
  user_since: '2019-03-01T08:00:00.000',
};

describe('API contract', () => {
  test('accepts records shaped as the contract says, with unknown extra fields', () => {
    expect(SessionRecordSchema.safeParse(goodSession).success).toBe(true);
    expect(UserRecordSchema.safeParse({ ...goodUser, referrer: 'ad' }).success).toBe(true);
  });

  test.each([
    [
      'a song id that is a song id, not a track id',
      { session_items: [{ ...goodSession.session_items[0], song_id: 'SOAAAAW128F429D538' }] },
      'session_items.0.song_id',
    ],
    [
      'a negative price',
      { session_items: [{ ...goodSession.session_items[0], price: -1 }] },
      'session_items.0.price',
    ],
    [
      'an absurd price',
      { session_items: [{ ...goodSession.session_items[0], price: 1500 }] },
      'session_items.0.price',
    ],
    ['a bad uuid', { session_id: 'not-a-uuid' }, 'session_id'],
    [
      'a price as a string',
      { session_items: [{ ...goodSession.session_items[0], price: '0.99' }] },
      'session_items.0.price',
    ],
  ])('rejects a session with %s and names where', (_label, patch, path) => {
    const result = SessionRecordSchema.safeParse({ ...goodSession, ...patch });
    expect(result.success).toBe(false);
    expect(describeIssues(result.error!)).toContain(path);
  });

  test("accepts the real API's shapes: no offset, microseconds, a like dated years after the session", () => {
    const real = {
      ...goodSession,
      session_start_time: '2020-02-07T18:05:25.824461',
      session_items: [{ ...goodSession.session_items[0], liked_since: '2023-11-30T02:11:09.000117' }],
    };
    expect(SessionRecordSchema.safeParse(real).success).toBe(true);
    expect(UserRecordSchema.safeParse({ ...goodUser, user_since: '2020-02-09T07:00:00.5' }).success).toBe(
      true,
    );
    // Still a timestamp: a date alone, or a time zone name, is not one.
    expect(SessionRecordSchema.safeParse({ ...goodSession, session_start_time: '2020-02-07' }).success).toBe(
      false,
    );
    expect(
      SessionRecordSchema.safeParse({ ...goodSession, session_start_time: '2020-02-07T18:05:25 UTC' })
        .success,
    ).toBe(false);
  });

  test('rejects a user whose location array is short, naming the field', () => {
    const result = UserRecordSchema.safeParse({ ...goodUser, user_location: ['51.5', '-0.1', 'London'] });
    expect(result.success).toBe(false);
    expect(describeIssues(result.error!)).toContain('user_location');
  });

  test('rejects a record with a missing required field', () => {
    const { user_since: _dropped, ...withoutSince } = goodUser;
    const result = UserRecordSchema.safeParse(withoutSince);
    expect(result.success).toBe(false);
    expect(describeIssues(result.error!)).toContain('user_since');
  });
});
