import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

/** One place the web app names an API path: the file and line, the method and the path template. */
export interface WebCall {
  at: string;
  method: string;
  path: string;
}

export interface WebScan {
  calls: WebCall[];
  /** Calls whose method or path is not written out, or fetch/XHR calls that bypass apiUrl(). */
  untyped: string[];
  /** Paths named in types (`AnswerOf<"GET", "/v1/join/status">`): the compiler checks them against `paths`. */
  typePaths: WebCall[];
  /** Strings that look like an API path but are not the path argument of a typed call or a type. */
  strayPaths: string[];
  /** Interfaces and object types whose fields are all fields of one object the document describes. */
  wireTypes: string[];
}

/** The web app's typed entry points: [method argument index or a fixed method, path argument index]. */
const TYPED_CALLS: Record<string, [number | "GET", number]> = {
  api: [1, 2],
  apiUrl: [0, 1],
  readEvents: ["GET", 1],
  followEvents: ["GET", 1],
};
/** Where the typed entry points are defined and pass their own (generic) path through. */
const PASS_THROUGH = new Set(["api.ts", "console/live-events.ts"]);
/** Fetches of the web pages' own files, which are not part of the API document. */
const PAGE_FILES = new Set(["/console/config.json"]);

export function webSources(root: string): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "generated") walk(path);
      } else if (/\.tsx?$/.test(entry.name)) out.push({ file: relative(root, path), text: readFileSync(path, "utf8") });
    }
  };
  walk(root);
  return out;
}

/** Every object the document describes (schemas, bodies, answers, nested), as its field names. */
export function documentObjects(doc: unknown): Array<Set<string>> {
  const found: Array<Set<string>> = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    const props = (node as { properties?: unknown }).properties;
    if (props && typeof props === "object" && !Array.isArray(props)) found.push(new Set(Object.keys(props)));
    Object.values(node).forEach(walk);
  };
  walk(doc);
  return found.filter((s) => s.size >= 2);
}

const literal = (n: ts.Node | undefined) => (n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) ? n.text : null);

export function scanWebSources(sources: Array<{ file: string; text: string }>, doc: unknown): WebScan {
  const objects = documentObjects(doc);
  const scan: WebScan = { calls: [], untyped: [], typePaths: [], strayPaths: [], wireTypes: [] };
  for (const { file, text } of sources) {
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
    const at = (n: ts.Node) => `${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
    const pathArgs = new Set<ts.Node>();
    const fields = (members: ts.NodeArray<ts.TypeElement>) =>
      members.filter(ts.isPropertySignature).map((m) => m.name.getText(sf).replace(/^["']|["']$/g, ""));
    const checkShape = (name: string, node: ts.Node, names: string[]) => {
      if (names.length >= 2 && objects.some((o) => names.every((n) => o.has(n)))) scan.wireTypes.push(`${at(node)} ${name} { ${names.join(", ")} }`);
    };
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
        const spec = TYPED_CALLS[n.expression.text];
        if (spec) {
          const [m, p] = spec;
          const method = m === "GET" ? m : literal(n.arguments[m]);
          const path = literal(n.arguments[p]);
          if (method && path) {
            scan.calls.push({ at: at(n), method, path });
            pathArgs.add(n.arguments[p]!);
          } else if (!PASS_THROUGH.has(file)) scan.untyped.push(`${at(n)} ${n.getText(sf).slice(0, 80)}`);
        } else if (n.expression.text === "fetch") {
          const target = n.arguments[0];
          const page = literal(target);
          const typed = target && ts.isCallExpression(target) && ts.isIdentifier(target.expression) && target.expression.text === "apiUrl";
          if (!typed && !(page && PAGE_FILES.has(page))) scan.untyped.push(`${at(n)} ${n.getText(sf).slice(0, 80)}`);
        }
      }
      // XMLHttpRequest#open(method, url): the URL must come from apiUrl() too.
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === "open") {
        const [method, target] = n.arguments;
        const isHttp = /^(GET|POST|PUT|PATCH|DELETE)$/.test(literal(method) ?? "");
        const typed = target && ts.isCallExpression(target) && ts.isIdentifier(target.expression) && target.expression.text === "apiUrl";
        if (isHttp && !typed) scan.untyped.push(`${at(n)} ${n.getText(sf).slice(0, 80)}`);
      }
      if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateHead(n)) && /^\/v\d+\//.test(n.text) && !pathArgs.has(n)) {
        if (ts.isLiteralTypeNode(n.parent) || ts.isPropertySignature(n.parent)) scan.typePaths.push({ at: at(n), method: "", path: n.text });
        else scan.strayPaths.push(`${at(n)} ${JSON.stringify(n.text)}`);
      }
      if (ts.isInterfaceDeclaration(n)) checkShape(n.name.text, n, fields(n.members));
      if (ts.isTypeAliasDeclaration(n) && ts.isTypeLiteralNode(n.type)) checkShape(n.name.text, n, fields(n.type.members));
      if (ts.isTypeLiteralNode(n) && !ts.isTypeAliasDeclaration(n.parent)) checkShape("(inline type)", n, fields(n.members));
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return scan;
}
