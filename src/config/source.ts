import { readFileSync, statSync } from "node:fs";
import {
  Composer,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  Parser,
  YAMLParseError,
  type CST,
  type Document,
  type Node,
} from "yaml";
import { ConfigError, describeError } from "../core/errors.ts";

/** pipeline.yaml lists stages and parameters; anything bigger is a mistake or an attack. */
export const MAX_PIPELINE_BYTES = 1_048_576;
/** Nesting levels of the yaml parser's stack (a real pipeline.yaml uses about 8). */
export const MAX_YAML_DEPTH = 64;
/** What an alias may expand to, as the yaml package counts it (its own default). */
export const MAX_ALIAS_COUNT = 100;

/** pipeline.yaml parsed: the yaml document (for line numbers) and its plain JavaScript value. */
export interface PipelineSource {
  doc: Document;
  lines: LineCounter;
  raw: unknown;
}

/**
 * Reads and parses `file`, refusing input that would take the parser down: a file over
 * MAX_PIPELINE_BYTES (checked before reading), nesting deeper than MAX_YAML_DEPTH (checked as the
 * parser goes, so it never builds the deep tree), undefined or self-containing aliases and
 * alias bombs. Every step is linear in the file's size; anything wrong is a ConfigError.
 */
export function readPipelineSource(file: string, display: string): PipelineSource {
  const bytes = statSync(file).size;
  if (bytes > MAX_PIPELINE_BYTES) {
    throw new ConfigError(display, [`${file} is ${bytes} bytes, over the limit of ${MAX_PIPELINE_BYTES} bytes (1 MiB); it was not read`], {
      hint: "pipeline.yaml holds stages, wiring and parameters; keep data in the input files it names",
    });
  }
  const source = readFileSync(file, "utf8");
  const lines = new LineCounter();
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `(line ${line}, column ${col})`;
  };
  const doc = _parse(source, lines, at, display);
  const issues = doc.errors.map((e) => `yaml syntax ${at(e.pos[0])}: ${e.message.split("\n")[0]}`);
  if (issues.length > 0) throw new ConfigError(display, issues);

  const aliases = _checkNodes(doc, issues, at);
  if (issues.length > 0) throw new ConfigError(display, issues);
  try {
    return { doc, lines, raw: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {} };
  } catch (error) {
    const where = aliases.first === undefined ? "" : ` ${at(aliases.first)}`;
    throw new ConfigError(display, [
      `yaml aliases${where}: ${describeError(error)} (${aliases.count} aliases, the first one here); ` +
        "write the values out instead of nesting aliases",
    ]);
  }
}

class _TooDeep extends Error {
  constructor(readonly offset: number) {
    super("too deep");
  }
}

/** yaml's parseDocument, with the parser's stack watched after every lexical token. */
function _parse(source: string, lines: LineCounter, at: (offset: number) => string, display: string): Document {
  const parser = new Parser(lines.addNewLine);
  // uniqueKeys: false because the package checks each key against every earlier key of its map
  // (quadratic); _checkNodes finds duplicates with a Set instead.
  const composer = new Composer({ uniqueKeys: false });
  function* tokens(): Generator<CST.Token> {
    lines.addNewLine(0);
    for (const lexeme of new Lexer().lex(source)) {
      yield* parser.next(lexeme);
      if (parser.stack.length > MAX_YAML_DEPTH) throw new _TooDeep(parser.offset);
    }
    yield* parser.end();
  }
  let doc: Document | undefined;
  try {
    for (const next of composer.compose(tokens(), true, source.length)) {
      if (doc) {
        doc.errors.push(
          new YAMLParseError([next.range[0], next.range[1]], "MULTIPLE_DOCS", "Source contains multiple documents; pipeline.yaml is one"),
        );
        break;
      }
      doc = next;
    }
  } catch (error) {
    if (!(error instanceof _TooDeep)) throw error;
    throw new ConfigError(display, [
      `yaml ${at(error.offset)}: nested deeper than ${MAX_YAML_DEPTH} levels; pipeline.yaml needs fewer than 10`,
    ]);
  }
  return doc!;
}

/**
 * One walk over the document, in the order the yaml package resolves aliases: duplicate keys,
 * aliases without an anchor before them and aliases inside the node they name (which would
 * make the value contain itself).
 */
function _checkNodes(doc: Document, issues: string[], at: (offset: number) => string): { count: number; first: number | undefined } {
  const anchors = new Map<string, Node>();
  const open = new Set<unknown>();
  const aliases = { count: 0, first: undefined as number | undefined };
  const visit = (node: unknown): void => {
    if (isAlias(node)) {
      const offset = node.range?.[0] ?? 0;
      aliases.count++;
      aliases.first ??= offset;
      const target = anchors.get(node.source);
      if (!target) issues.push(`yaml alias ${at(offset)}: *${node.source} names no anchor; define &${node.source} before it`);
      else if (open.has(target))
        issues.push(
          `yaml alias ${at(offset)}: *${node.source} is inside the node anchored as &${node.source}, so its value would contain itself`,
        );
      return;
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) return;
    if (node.anchor) anchors.set(node.anchor, node);
    if (isScalar(node)) return;
    open.add(node);
    if (isMap(node)) {
      const keys = new Set<unknown>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          if (keys.has(pair.key.value))
            issues.push(`yaml syntax ${at(pair.key.range?.[0] ?? 0)}: duplicate key "${String(pair.key.value)}"; map keys must be unique`);
          keys.add(pair.key.value);
        }
        visit(pair.key);
        visit(pair.value);
      }
    } else {
      for (const item of node.items) visit(item);
    }
    open.delete(node);
  };
  visit(doc.contents);
  return aliases;
}
