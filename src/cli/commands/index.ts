/**
 * @module cli/commands
 * The registry of CLI commands, in the order `memstats --help` lists them.
 * Each command lives in its own file and is added here with one line.
 */
import type { Command } from '../command.js';
import { demoCommand } from './demo.js';
import { diffCommand } from './diff.js';
import { runCommand } from './run.js';

export const commands: Command[] = [
  demoCommand,
  diffCommand,
  runCommand,
];
