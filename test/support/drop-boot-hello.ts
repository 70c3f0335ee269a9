// A device process whose boot HELLO never reaches the host, as when a partial
// frame in the host's deframer swallows it (issue 16): runs the virtual device
// child given as arguments and relays stdin and stdout, dropping stdout up to
// and including the end of the first frame (the 0x00 before the boot HELLO,
// then the HELLO and its delimiter). Used as FaultProxy's startDevice.
//
//   node drop-boot-hello.js VIRTUAL_DEVICE_CHILD WASM [RAM KIND FIRST_SEQ]

import { spawn } from 'node:child_process';

// `node --test dist/` also runs every file under test/ with no arguments: then
// there is nothing to relay, and the script must end rather than start a REPL.
if (process.argv.length >= 4) relay();

function relay(): void {
  const child = spawn(process.execPath, ['--no-warnings', ...process.argv.slice(2)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let delimiters = 0;
  process.stdin.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  child.stdout.on('data', (chunk: Buffer) => {
    let start = 0;
    while (delimiters < 2 && start < chunk.length) {
      if (chunk[start] === 0) delimiters++;
      start++;
    }
    if (start < chunk.length) process.stdout.write(chunk.subarray(start));
  });
  child.on('exit', (code) => process.exit(code ?? 1));
}
