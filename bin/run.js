#!/usr/bin/env node
// The stracectl CLI. Commands are compiled to dist/ by `npm run build` (run by `npm ci`).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
