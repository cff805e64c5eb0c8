#!/usr/bin/env node
import { runCli } from "./program.js";

/**
 * The `buildfleet` bin: real stdio, the environment, Ctrl-C as an abort
 * signal (a second Ctrl-C exits at once).
 */
const controller = new AbortController();
let interrupted = false;
process.on("SIGINT", () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort(new Error("interrupted"));
});

// `buildfleet ls -o json | head -c 100`: the reader went away. Nothing more can be said on stdout,
// and nothing is wrong: end quietly (exit 0) instead of dying with an EPIPE stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
};

/** A y/N prompt on the terminal (bulk operations); anything but y/yes is no. */
const confirm = async (question: string): Promise<boolean> => {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question, { signal: controller.signal })).trim());
  } finally {
    rl.close();
  }
};

const code = await runCli(process.argv.slice(2), {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  env: process.env,
  // `pnpm buildfleet …` runs in the repository root; INIT_CWD is where the user typed it.
  cwd: process.env["INIT_CWD"] ?? process.cwd(),
  readStdin,
  stderrIsTTY: process.stderr.isTTY === true,
  signal: controller.signal,
  ...(process.stdin.isTTY ? { confirm } : {}),
});
process.exitCode = code;
