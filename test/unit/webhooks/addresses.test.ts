import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { checkAddress, forbiddenRange, parseTargetUrl } from '../../../src/webhooks/addresses.js';

describe('which addresses a webhook may reach', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['fd00::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
  ])('refuses %s (%s)', (address, range) => {
    expect(forbiddenRange(address)).toBe(range);
    expect(() => checkAddress(address, 'url', false)).toThrow(InputError);
    expect(() => checkAddress(address, 'url', false)).toThrow(new RegExp(`address ${address.replace(/[.:]/g, '\\$&')} is in a ${range} range`));
  });

  it.each(['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(forbiddenRange(address)).toBeNull();
    expect(() => checkAddress(address, 'url', false)).not.toThrow();
  });

  it('allows private targets only with the development setting, and never a non-address', () => {
    expect(() => checkAddress('127.0.0.1', 'url', true)).not.toThrow();
    expect(() => checkAddress('169.254.169.254', 'url', true)).not.toThrow();
    expect(() => checkAddress('not-an-ip', 'url', true)).toThrow(/not an IP address/);
  });
});

describe('the form of a webhook URL', () => {
  const error = (text: string) => {
    try {
      parseTargetUrl(text, 'endpoints[0].url');
    } catch (err) {
      return err as InputError;
    }
    throw new Error(`${text} was accepted`);
  };

  it.each([
    ['ftp://example.com/hook', /scheme ftp is not allowed/],
    ['file:///etc/passwd', /scheme file is not allowed/],
    ['https://user:pw@example.com/hook', /credentials in a URL are not allowed/],
    ['https://token@example.com/hook', /credentials in a URL are not allowed/],
    ['https://example.com/hook#x', /fragment/],
    ['not a url', /not a URL/],
    [`https://example.com/${'a'.repeat(2001)}`, /characters long/],
  ])('refuses %s, saying where and what is allowed', (text, message) => {
    const err = error(text);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/^endpoints\[0\]\.url: /);
    expect(err.details).toMatchObject({ where: 'endpoints[0].url', allowed: expect.stringMatching(/http:\/\/ or https:\/\//) });
  });

  it('reads literal addresses as literals, including decimal and bracketed forms', () => {
    expect(parseTargetUrl('http://[::1]:8080/x', 'u')).toMatchObject({ host: '::1', literal: true, port: 8080 });
    expect(parseTargetUrl('http://2130706433/x', 'u')).toMatchObject({ host: '127.0.0.1', literal: true, port: 80 });
    expect(parseTargetUrl('https://hooks.example.com/x?a=1', 'u')).toMatchObject({ host: 'hooks.example.com', literal: false, port: 443 });
  });
});
