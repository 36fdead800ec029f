import { createCB } from 'xmlbuilder2';
import type { DataRecord } from './record.js';

// XML 1.0 NCName (no colon: a colon would ask for a namespace prefix).
const NAME_START =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
// n.b. the combining marks (U+0300–U+036F) are a range of allowed characters, not a cluster
// eslint-disable-next-line no-misleading-character-class
const XML_NAME = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`, 'u');
// Characters XML 1.0 cannot carry at all, not even escaped.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * True when `name` can be an element name as is: an XML NCName that does not start with the
 * reserved `xml` (in any case).
 */
export function isXmlElementName(name: string): boolean {
  return XML_NAME.test(name) && !/^xml/i.test(name);
}

/** Text made storable in XML: characters XML can't represent become U+FFFD. */
function xmlSafe(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}

/**
 * Serializes records as an XML document: `<records>` with one `<record>` per record and one
 * child element per field, `<name>value</name>` (`null` as an empty element); a field whose
 * name is not a valid element name becomes `<field name="...">value</field>`. Yields text
 * after each record; everything is escaped by xmlbuilder2, and CR as `&#xD;`.
 */
export async function* xmlParts(
  records: AsyncIterable<DataRecord>,
  onRecord: () => void,
): AsyncGenerator<string> {
  let out = '';
  const xml = createCB({
    // n.b. parsers turn a literal CR into LF; as a character reference it survives. Markup
    // never holds a CR, so every CR here is content.
    data: (chunk: string) =>
      (out += chunk.includes('\r') ? chunk.replaceAll('\r', '&#xD;') : chunk),
    prettyPrint: true,
    indent: '  ',
  });
  xml.dec({ version: '1.0', encoding: 'UTF-8' }).ele('records');
  for await (const record of records) {
    onRecord();
    xml.ele('record');
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (isXmlElementName(key)) xml.ele(key);
      else xml.ele('field', { name: xmlSafe(key) });
      if (value !== null && value !== undefined && value !== '') xml.txt(xmlSafe(String(value)));
      xml.up();
    }
    xml.up();
    yield out;
    out = '';
  }
  xml.up().end();
  yield out + '\n';
}
