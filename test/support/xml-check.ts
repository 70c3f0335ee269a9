// Test support: a small XML well-formedness checker and reader, enough to verify the SVG we
// write (and to read it back in tests) without a dependency.
//
// Checks: one root element; tags nest and close in order; names are XML
// names; attributes are quoted, unique per element; text and attribute values
// use only the five predefined entities or numeric character references, and
// contain no raw '<' (text) or '<' / '&' (values). Accepts an XML declaration,
// comments, CDATA and processing instructions. Rejects DOCTYPE (we never write
// one).
//
// Non-goals: namespaces beyond treating prefixes as part of names, DTDs,
// encodings other than the JS string given.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text content directly inside this element (entities decoded). */
  text: string;
}

export class XmlError extends Error {
  override name = 'XmlError';
  constructor(
    readonly offset: number,
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Parses `text`; throws XmlError at the first problem. Returns the root element. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const fail = (reason: string): never => {
    throw new XmlError(i, text.slice(0, i).split('\n').length, reason);
  };
  const decode = (raw: string, inAttr: boolean): string =>
    raw.replace(/&([^;&]*);?/g, (m, body: string) => {
      if (!m.endsWith(';')) fail(`'&' not starting an entity reference in ${inAttr ? 'attribute value' : 'text'}`);
      if (body in ENTITIES) return ENTITIES[body];
      const num = /^#(\d+)$/.exec(body) ?? /^#x([0-9a-fA-F]+)$/.exec(body);
      if (num) {
        const code = parseInt(num[1], body[1] === 'x' ? 16 : 10);
        if (code === 0 || code > 0x10ffff) fail(`character reference ${m} is not a valid character`);
        return String.fromCodePoint(code);
      }
      return fail(`unknown entity ${m}`);
    });

  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < text.length) {
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i);
      if (end < 0) fail('unterminated processing instruction');
      if (text.startsWith('<?xml', i) && i !== 0) fail('XML declaration must come first');
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment');
      if (text.slice(i + 4, end).includes('--')) fail("'--' inside a comment");
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      if (stack.length === 0) fail('CDATA outside the root element');
      const end = text.indexOf(']]>', i);
      if (end < 0) fail('unterminated CDATA section');
      stack[stack.length - 1].text += text.slice(i + 9, end);
      i = end + 3;
    } else if (text.startsWith('<!', i)) {
      fail('DOCTYPE and other declarations are not supported');
    } else if (text.startsWith('</', i)) {
      i += 2;
      const m = NAME.exec(text.slice(i));
      if (!m) fail('bad end tag name');
      const name = m![0];
      i += name.length;
      while (/\s/.test(text[i] ?? '')) i++;
      if (text[i] !== '>') fail(`end tag </${name}> not closed with '>'`);
      i++;
      const open = stack.pop();
      if (!open) fail(`end tag </${name}> without a start tag`);
      if (open!.name !== name) fail(`end tag </${name}> does not match <${open!.name}>`);
    } else if (text[i] === '<') {
      i++;
      const m = NAME.exec(text.slice(i));
      if (!m) fail('bad start tag name');
      const el: XmlElement = { name: m![0], attrs: {}, children: [], text: '' };
      i += el.name.length;
      for (;;) {
        const hadSpace = /\s/.test(text[i] ?? '');
        while (/\s/.test(text[i] ?? '')) i++;
        if (text[i] === '>' || text.startsWith('/>', i)) break;
        if (i >= text.length) fail(`unterminated start tag <${el.name}>`);
        if (!hadSpace) fail(`attributes of <${el.name}> must be separated by whitespace`);
        const a = NAME.exec(text.slice(i));
        if (!a) fail(`bad attribute name in <${el.name}>`);
        const an = a![0];
        i += an.length;
        while (/\s/.test(text[i] ?? '')) i++;
        if (text[i] !== '=') fail(`attribute ${an} of <${el.name}> has no value`);
        i++;
        while (/\s/.test(text[i] ?? '')) i++;
        const q = text[i];
        if (q !== '"' && q !== "'") fail(`attribute ${an} of <${el.name}> is not quoted`);
        const end = text.indexOf(q, i + 1);
        if (end < 0) fail(`unterminated value of attribute ${an}`);
        const raw = text.slice(i + 1, end);
        if (raw.includes('<')) fail(`'<' in the value of attribute ${an}`);
        if (an in el.attrs) fail(`duplicate attribute ${an} in <${el.name}>`);
        el.attrs[an] = decode(raw, true);
        i = end + 1;
      }
      if (stack.length === 0) {
        if (root) fail('more than one root element');
        root = el;
      } else {
        stack[stack.length - 1].children.push(el);
      }
      if (text.startsWith('/>', i)) i += 2;
      else {
        i++;
        stack.push(el);
      }
    } else {
      const end = text.indexOf('<', i);
      const raw = text.slice(i, end < 0 ? text.length : end);
      if (stack.length === 0) {
        if (raw.trim() !== '') fail('text outside the root element');
      } else {
        if (raw.includes(']]>')) fail("']]>' in text");
        stack[stack.length - 1].text += decode(raw, false);
      }
      i = end < 0 ? text.length : end;
    }
  }
  if (stack.length > 0) fail(`element <${stack[stack.length - 1].name}> is never closed`);
  if (!root) fail('no root element');
  return root!;
}

/** All descendants (depth first, document order) matching `pred`. */
export function findAll(el: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (pred(e)) out.push(e);
    e.children.forEach(walk);
  };
  walk(el);
  return out;
}
