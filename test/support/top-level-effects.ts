import { parse } from 'acorn';

// A node of acorn's ESTree, read loosely: only the fields the walk below looks at.
interface Node {
  type: string;
  start: number;
  end: number;
  [field: string]: unknown;
}

/** Calls that only build a value: loading a module (its own effects are judged in its own file) and freezing. */
const PURE_CALLS = new Set(['require', 'Object.freeze', 'Object.keys', 'Symbol', '__importDefault', '__importStar', '__exportStar']);
/** Methods of strings and arrays that return a new value and call nothing of the caller's. */
const PURE_METHODS = new Set(['split', 'join', 'concat', 'slice']);
/** Constructors of plain containers. */
const PURE_NEWS = new Set(['Set', 'Map', 'WeakMap', 'WeakSet', 'Uint8Array', 'DataView', 'ArrayBuffer', 'Error']);

function name(node: Node): string {
  if (node.type === 'Identifier') return node['name'] as string;
  if (node.type === 'MemberExpression' && node['computed'] !== true) {
    return `${name(node['object'] as Node)}.${name(node['property'] as Node)}`;
  }
  return '?';
}

/** Whether evaluating `node` can do nothing but produce a value (conservative: unknown shapes are effects). */
function pure(node: Node | null | undefined): boolean {
  if (node === null || node === undefined) return true;
  const all = (list: unknown): boolean => (list as (Node | null)[]).every((each) => pure(each));
  switch (node.type) {
    case 'Literal':
    case 'Identifier':
    case 'ThisExpression':
    case 'ArrowFunctionExpression':
    case 'FunctionExpression':
      return true;
    case 'TemplateLiteral':
      return all(node['expressions']);
    case 'ArrayExpression':
      return all(node['elements']);
    case 'SpreadElement':
      // Spreading runs the value's iterator: taken as pure for the arrays the modules spread (option-name lists).
      return pure(node['argument'] as Node);
    case 'ObjectExpression':
      return (node['properties'] as Node[]).every(
        (p) => p.type === 'Property' && p['computed'] !== true && pure(p['value'] as Node),
      );
    case 'UnaryExpression':
      return node['operator'] !== 'delete' && pure(node['argument'] as Node);
    case 'BinaryExpression':
    case 'LogicalExpression':
      return pure(node['left'] as Node) && pure(node['right'] as Node);
    case 'ConditionalExpression':
      return pure(node['test'] as Node) && pure(node['consequent'] as Node) && pure(node['alternate'] as Node);
    case 'MemberExpression':
      return node['computed'] !== true && pure(node['object'] as Node);
    case 'ClassExpression':
      return pureClass(node);
    case 'AssignmentExpression':
      // tsc's `exports.a = exports.b = void 0`: a write to the module's own exports.
      return name(node['left'] as Node).startsWith('exports.') && pure(node['right'] as Node);
    case 'CallExpression':
      return pureCall(node['callee'] as Node, node['arguments'] as Node[]);
    case 'NewExpression':
      return PURE_NEWS.has(name(node['callee'] as Node)) && all(node['arguments']);
    default:
      return false;
  }
}

function pureCall(callee: Node, args: Node[]): boolean {
  if (!args.every((each) => pure(each))) return false;
  const called = name(callee);
  // Object.assign into a fresh object literal writes nothing that existed before.
  if (called === 'Object.assign') return args[0]?.type === 'ObjectExpression';
  if (PURE_CALLS.has(called)) return true;
  if (callee.type !== 'MemberExpression' || callee['computed'] === true) return false;
  return PURE_METHODS.has(name(callee['property'] as Node)) && pure(callee['object'] as Node);
}

/** A class whose definition runs no code: no static block, no static field with an effect, no effectful `extends`. */
function pureClass(node: Node): boolean {
  const members = (node['body'] as { body: Node[] }).body;
  return (
    pure(node['superClass'] as Node | null) &&
    members.every((m) => m.type !== 'StaticBlock' && !(m.type === 'PropertyDefinition' && m['static'] === true && !pure(m['value'] as Node)))
  );
}

/** CommonJS bookkeeping tsc writes at the top of a module: `exports.x = ...` and `Object.defineProperty(exports, ...)`. */
function exportBookkeeping(expression: Node): boolean {
  if (expression.type === 'AssignmentExpression') {
    const target = name(expression['left'] as Node);
    return (target.startsWith('exports.') || target === 'module.exports') && pure(expression['right'] as Node);
  }
  if (expression.type === 'CallExpression') {
    const callee = name(expression['callee'] as Node);
    const [first] = expression['arguments'] as Node[];
    if (callee === 'Object.defineProperty' && first !== undefined && name(first) === 'exports') return true;
    return callee === '__exportStar' && pure(expression);
  }
  return false;
}

function pureStatement(statement: Node): boolean {
  switch (statement.type) {
    case 'ImportDeclaration':
    case 'ExportAllDeclaration':
    case 'FunctionDeclaration':
      return true;
    case 'ExportNamedDeclaration':
      return statement['declaration'] === null || pureStatement(statement['declaration'] as Node);
    case 'ExportDefaultDeclaration':
      return pure(statement['declaration'] as Node) || (statement['declaration'] as Node).type === 'FunctionDeclaration';
    case 'ClassDeclaration':
      return pureClass(statement);
    case 'VariableDeclaration':
      return (statement['declarations'] as Node[]).every((d) => pure(d['init'] as Node | null));
    case 'ExpressionStatement':
      return statement['directive'] !== undefined || exportBookkeeping(statement['expression'] as Node);
    default:
      return false;
  }
}

/**
 * The top-level statements of a module that do something when it is loaded (call a function, write a global, start
 * a timer), as source excerpts; an empty list means a bundler may drop the module when nothing of it is used.
 */
export function topLevelEffects(code: string, sourceType: 'module' | 'script'): string[] {
  const program = parse(code, { ecmaVersion: 'latest', sourceType }) as unknown as { body: Node[] };
  return program.body.filter((statement) => !pureStatement(statement)).map((s) => code.slice(s.start, s.end).slice(0, 80));
}
