#!/usr/bin/env node
// The package ships TypeScript sources; tsx loads them so no build step is needed (SPEC §1).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
