#!/usr/bin/env node
// Native-solc-like CLI over solc-js, just enough for py-solc-x's compile_standard:
//   solc-cli.js --version
//   solc-cli.js --standard-json [--base-path DIR] [--include-path DIR]... [--allow-paths ...]
// Only the compiler's JSON output is written to stdout (solc-js's own CLI prints SMT notices
// before the JSON, which breaks py-solc-x). Imports resolve under the base and include paths.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const argv = process.argv.slice(2);
if (argv.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!argv.includes('--standard-json')) {
  process.stderr.write('solc-cli.js: only --version and --standard-json are supported\n');
  process.exit(2);
}

const roots = [];
for (let i = 0; i < argv.length; i++) {
  if ((argv[i] === '--base-path' || argv[i] === '--include-path') && argv[i + 1]) {
    roots.push(path.resolve(argv[++i]));
  }
}
roots.push(process.cwd(), path.join(__dirname, 'node_modules'), __dirname);

function findImports(importPath) {
  for (const root of roots) {
    const candidate = path.isAbsolute(importPath) ? importPath : path.join(root, importPath);
    if (fs.existsSync(candidate)) {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    }
  }
  return { error: `File not found: ${importPath}` };
}

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const input = Buffer.concat(chunks).toString('utf8');
  process.stdout.write(solc.compile(input, { import: findImports }));
});
