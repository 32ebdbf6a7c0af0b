#!/usr/bin/env node
// The package ships TypeScript sources; tsx loads them so no build step is needed.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
