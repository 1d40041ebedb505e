#!/usr/bin/env node
// Launcher for `npx deftunes`: registers tsx so the TypeScript CLI runs without a build step.
require('tsx/cjs/api').register();
require('./deftunes.ts').main(process.argv);
