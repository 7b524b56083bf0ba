// Issue 15: which workflow bundle `hubsync worker` loads. Compiled code takes the prebuilt
// dist/workflow-bundle.js; the sources (this test runs them) never do, so an edited workflow is not shadowed
// by a stale build; HUBSYNC_WORKFLOW_BUNDLE names one explicitly and must exist.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../../kernel/errors';
import { BUILT_WORKFLOW_BUNDLE, prebuiltWorkflowBundle } from '../../workers/worker';

describe('prebuilt workflow bundle', () => {
  it('is the file HUBSYNC_WORKFLOW_BUNDLE names', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hubsync-bundle-'));
    try {
      const file = path.join(dir, 'bundle.js');
      fs.writeFileSync(file, '// bundle');
      expect(prebuiltWorkflowBundle(file)).toEqual({ codePath: file });
      expect(() => prebuiltWorkflowBundle(path.join(dir, 'missing.js'))).toThrow(ConfigurationError);
      expect(() => prebuiltWorkflowBundle(path.join(dir, 'missing.js'))).toThrow(/HUBSYNC_WORKFLOW_BUNDLE names .*missing\.js.*npm run build/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is none when running from the sources unless named (compiled, it is workflow-bundle.js beside the compiled folders)', () => {
    // From the sources that would be <repo>/workflow-bundle.js, which nothing writes; dist/'s is dist/workflow-bundle.js.
    expect(BUILT_WORKFLOW_BUNDLE).toBe(path.resolve(__dirname, '..', '..', 'workflow-bundle.js'));
    expect(prebuiltWorkflowBundle(undefined)).toBeUndefined();
  });
});
