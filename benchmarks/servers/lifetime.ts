/*
 * How every benchmark server process lives: it prints its port as one line on stdout once listening, and exits when
 * its stdin closes (the parent closed it, or the parent died), after closing its listener.
 */

/** Prints `port`, then runs `close` and exits once stdin ends. */
export function serveUntilStdinEnds(port: number, close: () => Promise<void>): void {
  process.stdout.write(`${port}\n`);
  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    // A close that hangs (a client that never answers) must not keep the process: exit regardless after 2 s.
    setTimeout(() => process.exit(0), 2000).unref();
    close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}
