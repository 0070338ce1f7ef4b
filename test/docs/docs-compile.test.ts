import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';
import { type DocBlock, docBlocks, DOCS } from '../support/doc-blocks';
import { ROOT } from '../support/paths';

/*
 * Every ```ts and ```js block of the docs compiles under `strict` against the package's own types, as a user's code
 * would: `multisocket`, `multisocket/server`, `multisocket/channels` (and any other `multisocket/<path>` entry) map to
 * the sources (src/index.ts, server/index.ts, channels/index.ts), so the check follows the code, not a stale build.
 * A ```ts block is an ES module (top-level `await` allowed); a ```js block is CommonJS (`require`, no top-level
 * `await`), checked as JavaScript with `checkJs`. How a block declares what it assumes: test/support/doc-blocks.ts.
 */

const dir = mkdtempSync(join(tmpdir(), 'multisocket-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function options(types: string[]): ts.CompilerOptions {
  return {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowJs: true,
    checkJs: true,
    esModuleInterop: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    moduleDetection: ts.ModuleDetectionKind.Force,
    paths: {
      multisocket: [join(ROOT, 'src', 'index.ts')],
      'multisocket/*': [join(ROOT, '*', 'index.ts'), join(ROOT, '*.ts')],
    },
    typeRoots: [join(ROOT, 'node_modules', '@types'), join(ROOT, 'node_modules')],
    types,
  };
}

// One program per block (each has its own globals), sharing the parsed files of the package between them.
const parsed = new Map<string, ts.SourceFile | undefined>();
function host(compilerOptions: ts.CompilerOptions): ts.CompilerHost {
  const base = ts.createCompilerHost(compilerOptions);
  return {
    ...base,
    getSourceFile: (file, language, onError) => {
      if (file.startsWith(dir)) return base.getSourceFile(file, language, onError);
      const key = `${file}|${typeof language === 'object' ? language.impliedNodeFormat : ''}`;
      if (!parsed.has(key)) parsed.set(key, base.getSourceFile(file, language, onError));
      return parsed.get(key);
    },
  };
}

/** The block's diagnostics (its own file and its assumptions'), one line each, with the doc's line numbers. */
function compile(block: DocBlock, index: number): string[] {
  const file = join(dir, `block-${index}.${block.lang === 'ts' ? 'mts' : 'cjs'}`);
  writeFileSync(file, `${block.code}\n`);
  const roots = [file];
  if (block.assumes !== '') {
    const assumes = join(dir, `block-${index}-assumes.d.ts`);
    // A script (no import or export at its top): its declarations are globals, which the block's own imports shadow.
    writeFileSync(assumes, `${block.assumes}\n`);
    roots.push(assumes);
  }
  // The server runs on Node; the client's blocks see what a mini-game sees (`wx`, its `console`), not Node's globals.
  const server = /multisocket\/server/.test(block.code + block.assumes);
  const compilerOptions = options(server ? ['node'] : ['minigame-api-typings']);
  const program = ts.createProgram(roots, compilerOptions, host(compilerOptions));
  const firstLine = Number(block.where.split(':')[1]) + 1;
  return roots.flatMap((root) => {
    const source = program.getSourceFile(root) as ts.SourceFile;
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
      const at = root === file ? `line ${firstLine + line}` : `assumes, line ${line + 1}`;
      return `${at}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
  });
}

const blocks = DOCS.flatMap((doc) => docBlocks(doc));

it('finds the code blocks of the docs, and every skipped one says why', () => {
  expect(blocks.filter((b) => b.where.startsWith('README.md')).length).toBeGreaterThanOrEqual(3);
  expect(blocks.filter((b) => b.where.startsWith('SCALING.md')).length).toBeGreaterThanOrEqual(2);
  for (const block of blocks) if (block.skip !== undefined) expect(`${block.where}: ${block.skip}`).toMatch(/: \S/);
});

describe.each(blocks.filter((b) => b.skip === undefined).map((b, i) => [b.where, b, i] as const))('%s', (_where, block, index) => {
  it(`compiles under strict as ${block.lang === 'ts' ? 'TypeScript (ES module)' : 'JavaScript (CommonJS, checkJs)'}`, () => {
    expect(compile(block, index)).toEqual([]);
  });
});

it('reports what a wrong block gets wrong (the check is not vacuous)', () => {
  const wrong: DocBlock = {
    where: 'test:1',
    lang: 'ts',
    code: "import { createServer } from 'multisocket/server';\nconst s = createServer({});\ns.handle('x', ({ room }) => room);\nconst n: string = 1;",
    assumes: '',
    skip: undefined,
    name: undefined,
  };
  const errors = compile(wrong, 1000);
  expect(errors).toEqual([expect.stringMatching(/^line 4: TS2345 [^]*unknown/), expect.stringMatching(/^line 5: TS2322/)]);
});
