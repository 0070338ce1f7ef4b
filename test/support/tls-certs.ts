import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * A throwaway certificate authority and a server certificate it signed for 127.0.0.1 and localhost, made with the
 * `openssl` command ($OPENSSL, else the one on PATH; `npm test` installs it: scripts/provision.js) in a temp dir that
 * is removed at once: nothing is committed, nothing outlives the run.
 */

/** A CA and a server certificate it signed, all PEM. */
export interface TestCertificates {
  /** The CA's certificate: what a client that trusts this CA is given. */
  readonly ca: string;
  /** The server's certificate (for 127.0.0.1 and localhost) and its key. */
  readonly cert: string;
  readonly key: string;
}

/**
 * Makes a fresh CA and a certificate for 127.0.0.1 / localhost signed by it (RSA 2048, valid one day).
 * @throws naming openssl and how to install it when it is missing, or the failing step with openssl's stderr.
 */
export function makeCertificates(): TestCertificates {
  const openssl = process.env.OPENSSL || 'openssl';
  const dir = mkdtempSync(join(tmpdir(), 'multisocket-tls-'));
  const run = (...args: string[]): void => {
    try {
      execFileSync(openssl, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(missing ? `the TLS tests need ${openssl} (apt-get install openssl, or set OPENSSL)` : `${openssl} ${args[0]} failed: ${String((error as { stderr?: unknown }).stderr ?? error)}`);
    }
  };
  try {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=multisocket test CA');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext');
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');
    return { ca: read('ca.pem'), cert: read('server.pem'), key: read('server.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
