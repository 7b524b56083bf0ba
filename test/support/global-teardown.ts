import type { TestStackHandle } from './test-env';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __hubsyncTestStack?: TestStackHandle }).__hubsyncTestStack?.stop();
}
