// Syntax-checks every module the page loads (node --check), without a bundler or a browser.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const webroot = fileURLToPath(new URL('../../wwwroot/js/', import.meta.url));

function* modules(directory) {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      yield* modules(path);
    } else if (entry.name.endsWith('.js') || entry.name.endsWith('.mjs')) {
      yield path;
    }
  }
}

let failed = 0;
for (const path of modules(webroot)) {
  const result = spawnSync(process.execPath, ['--check', path], { encoding: 'utf8' });
  const name = relative(process.cwd(), path);
  if (result.status === 0) {
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.error(`FAIL ${name}\n${result.stderr}`);
  }
}

process.exitCode = failed === 0 ? 0 : 1;
