import { describe, expect, it } from 'vitest';
import { REDACTED, redactedConfig } from '../../src/config/redact.js';

describe('redactedConfig', () => {
  it('hides every header value and the values of keys that name secrets, wherever they are', () => {
    const tree = redactedConfig(`
exporters:
  otlp_http/a:
    endpoint: https://api.example.test
    headers: { authorization: "Bearer abc", x-tenant: { nested: "deep" }, list: [a, b] }
  custom:
    password: hunter2
    client_secret: s3
    api_key: k1
    apiKey: k2
    auth_token: t1
    private_key: p1
    tls: { key_file: /etc/tls/key.pem }
`) as Record<string, Record<string, Record<string, unknown>>>;
    expect(tree.exporters!['otlp_http/a']).toEqual({
      endpoint: 'https://api.example.test',
      headers: { authorization: REDACTED, 'x-tenant': { nested: REDACTED }, list: [REDACTED, REDACTED] },
    });
    expect(tree.exporters!.custom).toEqual({
      password: REDACTED, client_secret: REDACTED, api_key: REDACTED, apiKey: REDACTED, auth_token: REDACTED, private_key: REDACTED,
      tls: { key_file: '/etc/tls/key.pem' },
    });
  });

  it('keeps ${env:NAME} references as written but drops their defaults, and never expands them', () => {
    process.env.F2_REDACT_TEST = 'expanded-value';
    try {
      const tree = redactedConfig('a: "${env:F2_REDACT_TEST}"\nb: "http://${env:HOST:-fallback-secret}:4318/${env:F2_REDACT_TEST:-x}"\nc: "$${env:LITERAL}"\n');
      expect(tree).toEqual({ a: '${env:F2_REDACT_TEST}', b: 'http://${env:HOST}:4318/${env:F2_REDACT_TEST}', c: '$${env:LITERAL}' });
    } finally {
      delete process.env.F2_REDACT_TEST;
    }
  });

  it('keeps a key named __proto__ as an ordinary key', () => {
    const tree = redactedConfig('x:\n  __proto__: { polluted: true }\n') as { x: object };
    expect(Object.getOwnPropertyNames(tree.x)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
