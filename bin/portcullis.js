#!/usr/bin/env node
// Runs the compiled CLI (dist/), never tsx: start-up time matters for CI gates.
import { main } from '../dist/src/cli/main.js';

await main(process.argv);
