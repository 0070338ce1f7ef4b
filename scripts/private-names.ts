/*
 * Which property names the single-file bundle may shorten: the names of the runtime's `private` and `protected`
 * class members that are used nowhere else. esbuild's `mangleProps` renames every `x.name` and `{ name }` it sees
 * with a matching name, whatever `x` is, so a name qualifies only when the type checker shows that every property
 * access to it in src/ and channels/ reaches a private member, and it is never a key of an interface, an object
 * literal, a public member, a destructuring pattern or a string (which the platform, the wire or the application
 * could read). Anything the checker cannot resolve (an `any`) keeps its name.
 */
import { readdirSync } from 'fs';
import { join, resolve } from 'path';
import * as ts from 'typescript';

/** The bundle's own sources: what `mangleProps` will see (the bundle has no dependency). */
const BUNDLED_DIRS: readonly string[] = ['src', 'channels'];

function sources(root: string): string[] {
  return BUNDLED_DIRS.flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
      .map((name) => resolve(root, dir, name)),
  );
}

/** A private or protected member of a class (a constructor parameter property included). */
function isPrivateMember(node: ts.Node): boolean {
  const member =
    ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)
      ? ts.isClassLike(node.parent)
      : ts.isParameter(node) && ts.isConstructorDeclaration(node.parent);
  return member && (ts.getCombinedModifierFlags(node as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0;
}

/** A declaration that gives a property its name: its name must stay as written unless it is a private member. */
function declaredName(node: ts.Node): string | undefined {
  if (
    ts.isPropertySignature(node) || ts.isMethodSignature(node) || ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) ||
    ts.isGetAccessor(node) || ts.isSetAccessor(node) || ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node) ||
    ts.isEnumMember(node) || (ts.isParameter(node) && ts.isConstructorDeclaration(node.parent))
  ) {
    const name = node.name;
    return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
  }
  if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
    const name = node.propertyName ?? node.name;
    return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
  }
  return undefined;
}

/** The private member names of src/ and channels/ that the bundle can rename safely, sorted. */
export function privateNames(root: string): string[] {
  const files = sources(root);
  const ours = new Set(files);
  // With the platform's globals (wx, the timers), so that accesses to them resolve rather than count as unknown.
  const program = ts.createProgram([...files, resolve(root, 'src', 'host.d.ts')], { target: ts.ScriptTarget.ES2019, strict: true, noEmit: true, types: [] });
  const checker = program.getTypeChecker();
  const candidates = new Set<string>();
  const kept = new Set<string>();
  for (const file of program.getSourceFiles()) {
    const own = ours.has(resolve(file.fileName));
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteralLike(node)) kept.add(node.text);
      const name = declaredName(node);
      if (name !== undefined) (own && isPrivateMember(node) ? candidates : kept).add(name);
      if (ts.isPropertyAccessExpression(node)) {
        const declarations = checker.getSymbolAtLocation(node.name)?.declarations ?? [];
        if (declarations.length === 0 || !declarations.every(isPrivateMember)) kept.add(node.name.text);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return [...candidates].filter((name) => !kept.has(name)).sort();
}

/** The `mangleProps` pattern for {@link privateNames}. */
export function privateNamesPattern(root: string): RegExp {
  return new RegExp(`^(?:${privateNames(root).join('|')})$`);
}
