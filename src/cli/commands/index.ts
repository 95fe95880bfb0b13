/**
 * @module cli/commands
 * The registry of CLI commands, in the order `memstats --help` lists them.
 * Each command lives in its own file and is added here with one line.
 */
import type { Command } from '../command.js';

export const commands: Command[] = [];
