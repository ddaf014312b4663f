#!/usr/bin/env node
// Entry point of the installed `lambda-bootstrap` command (see main.ts).
import { main } from './main.ts';

// `lambda-bootstrap --help | head`: a reader that stops early is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
