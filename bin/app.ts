#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth -c env=dev` (one environment) or `npx cdk synth` (all of them).
 * Environments live in cdk.json's context (`deftunes:environments`).
 */
import { createDeftunesApp } from '../lib/deftunes-app';

const { app } = createDeftunesApp();
app.synth();
