import { join } from 'path';
import * as ts from 'typescript';
import { ROOT } from '../support/paths';

/*
 * A name that both the client's entry points (`multisocket`, `multisocket/channels`) and the server's
 * (`multisocket/server`) export means one thing: the same declaration, re-exported. An application that imports
 * `ChatMessage` from the client and from the server in two files must not get two different shapes under one name.
 */

const ENTRIES = { client: ['src/index.ts', 'channels/index.ts'], server: ['server/index.ts'] };
const program = ts.createProgram(
  [...ENTRIES.client, ...ENTRIES.server].map((f) => join(ROOT, f)),
  { noEmit: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')], skipLibCheck: true },
);
const checker = program.getTypeChecker();

/** Each name the entry exports, with the declaration it finally stands for. */
function exportsOf(file: string): Map<string, ts.Declaration | undefined> {
  const source = program.getSourceFile(join(ROOT, file));
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error(`${file} did not load`);
  return new Map(
    checker.getExportsOfModule(module).map((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return [s.getName(), target.declarations?.[0]];
    }),
  );
}

function describeDeclaration(d: ts.Declaration | undefined): string {
  return d ? `${d.getSourceFile().fileName.slice(ROOT.length + 1)}:${d.getSourceFile().getLineAndCharacterOfPosition(d.getStart()).line + 1}` : '?';
}

it('gives every name that client and server entries both export one declaration', () => {
  const client = new Map(ENTRIES.client.flatMap((f) => [...exportsOf(f)]));
  const server = exportsOf(ENTRIES.server[0] as string);
  const shared = [...server.keys()].filter((name) => client.has(name));
  const clashes = shared
    .filter((name) => client.get(name) !== server.get(name))
    .map((name) => `${name}: client ${describeDeclaration(client.get(name))}, server ${describeDeclaration(server.get(name))}`);
  expect(clashes).toEqual([]);
  // The check saw the names both sides do share (RemoteError is the client's class, re-exported by the server).
  expect(shared).toContain('RemoteError');
});
