// Whether socat (which exposes a virtual device on a pty) is installed: tests
// that need a real pseudo-terminal skip without it.

import { execFileSync } from 'node:child_process';

export function hasSocat(): boolean {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
