import { afterAll, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { KeyStore, sameSecret } from '../../../src/service/keys.js';
import { connect, uniquePrefix } from '../../helpers/redis.js';

const redis = connect();
const prefix = uniquePrefix('keys');
const keys = new KeyStore(redis, prefix);
afterAll(async () => {
  const left = await redis.keys(`${prefix}:*`);
  if (left.length) await redis.del(...left);
  redis.disconnect();
});

it('keeps only a hash of each key: the key itself is nowhere in Redis', async () => {
  const { key, info } = await keys.create({ team: 'studio-a', role: 'submit', name: 'ci' });
  expect(key).toMatch(/^vgk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  const stored = await redis.hgetall(`${prefix}:apikeys`);
  expect(Object.keys(stored)).toEqual([info.id]);
  expect(JSON.stringify(stored)).not.toContain(key.slice('vgk_'.length + 13)); // the secret (it may itself hold "_")
  expect(await keys.verify(key)).toMatchObject({ id: info.id, team: 'studio-a', role: 'submit', name: 'ci' });
});

it('refuses a key that is wrong in its secret, malformed or revoked', async () => {
  const { key, info } = await keys.create({ team: 'studio-a', role: 'manage' });
  const wrong = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
  expect(await keys.verify(wrong)).toBeNull();
  expect(await keys.verify('constructor')).toBeNull();
  expect(await keys.verify(`vgk_${info.id}`)).toBeNull();
  expect(await keys.revoke(info.id)).toBe(true);
  expect(await keys.verify(key)).toBeNull();
  expect(await keys.revoke(info.id)).toBe(false);
  expect((await keys.list()).map((k) => k.id)).not.toContain(info.id);
});

it('checks what a key is for: a team for submit and manage, none for admin', async () => {
  await expect(keys.create({ role: 'submit' })).rejects.toThrow(InputError);
  await expect(keys.create({ team: 'studio-a', role: 'admin' })).rejects.toThrow(/admin key has no team/);
  await expect(keys.create({ team: 'Not A Name', role: 'submit' })).rejects.toThrow(/team/);
  await expect(keys.revoke('../x')).rejects.toThrow(/not a key id/);
  const admin = await keys.create({ role: 'admin' });
  expect(admin.info.team).toBeNull();
});

it('compares secrets whatever their lengths', () => {
  expect(sameSecret('abc', 'abc')).toBe(true);
  expect(sameSecret('abc', 'abcd')).toBe(false);
});
