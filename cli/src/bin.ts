#!/usr/bin/env node
// Entry point of the installed `lambda-bootstrap` command (see main.ts).
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
