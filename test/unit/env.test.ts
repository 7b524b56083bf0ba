import { clearProxyVariables, loadEnv } from '../../kernel/env';
import { ConfigurationError } from '../../kernel/errors';

describe('environment parsing', () => {
  it('applies the documented defaults', () => {
    const env = loadEnv({ HOME: '/home/u' });
    expect(env.TEMPORAL_ADDRESS).toBeUndefined();
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.TEMPORAL_PORT).toBe(7233);
    expect(env.TEMPORAL_UI_PORT).toBe(8233);
    expect(env.TEMPORAL_NAMESPACE).toBe('default');
    expect(env.hubsyncHome).toMatch(/\.hubsync$/);
  });

  it('names the variable, the value and the expectation when a value is invalid', () => {
    expect(() => loadEnv({ TEMPORAL_ADDRESS: 'http://temporal' })).toThrow(ConfigurationError);
    expect(() => loadEnv({ TEMPORAL_ADDRESS: 'http://temporal' })).toThrow(/TEMPORAL_ADDRESS: expected host:port.*"http:\/\/temporal"/);
    expect(() => loadEnv({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: expected a postgres:\/\/ URL/);
    expect(() => loadEnv({ TEMPORAL_UI_PORT: '70000' })).toThrow(/TEMPORAL_UI_PORT/);
  });

  it('treats empty variables as unset', () => {
    expect(loadEnv({ TEMPORAL_ADDRESS: '', DATABASE_URL: '' }).TEMPORAL_ADDRESS).toBeUndefined();
  });

  it('puts the cache under XDG_CACHE_HOME unless HUBSYNC_CACHE_DIR is set', () => {
    expect(loadEnv({ XDG_CACHE_HOME: '/tmp/xdg' }).cacheDir).toBe('/tmp/xdg/hubsync');
    expect(loadEnv({ XDG_CACHE_HOME: '/tmp/xdg', HUBSYNC_CACHE_DIR: '/tmp/c' }).cacheDir).toBe('/tmp/c');
  });

  it('drops proxy variables, which jsforce would apply to loopback traffic', () => {
    const env: NodeJS.ProcessEnv = { http_proxy: 'http://p:1', HTTPS_PROXY: 'http://p:2', PATH: '/bin' };
    clearProxyVariables(env);
    expect(env).toEqual({ PATH: '/bin' });
  });
});
