/**
 * @module cli/commands
 * The registry of CLI commands, in the order `memstats --help` lists them.
 * Each command lives in its own file and is added here with one line.
 */
import type { Command } from '../command.js';
import { attachCommand } from './attach.js';
import { demoCommand } from './demo.js';
import { diffCommand } from './diff.js';
import { explainCommand } from './explain.js';
import { gcCommand } from './gc.js';
import { leakCommand } from './leak.js';
import { profileCommand } from './profile.js';
import { psCommand } from './ps.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { snapshotCommand } from './snapshot.js';
import { statsCommand } from './stats.js';
import { topCommand } from './top.js';

export const commands: Command[] = [
  attachCommand,
  demoCommand,
  diffCommand,
  explainCommand,
  gcCommand,
  leakCommand,
  profileCommand,
  psCommand,
  reportCommand,
  runCommand,
  snapshotCommand,
  statsCommand,
  topCommand,
];
