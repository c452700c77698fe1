// Parses each .eml file named on the command line with npm mailparser (an independent MIME
// and RFC 2047 implementation) and prints one JSON object: path -> {subject, text, html, from, to}.
'use strict';
const fs = require('fs');
const { simpleParser } = require('mailparser');
const libmime = require('libmime');  // mailparser's own RFC 2047 decoder, for X- headers

(async () => {
  const out = {};
  for (const path of process.argv.slice(2)) {
    const mail = await simpleParser(fs.readFileSync(path));
    out[path] = {
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      from: mail.from && mail.from.text,
      to: mail.to && mail.to.text,
      headers: Object.fromEntries([...mail.headers].map(([k, v]) => [k, typeof v === 'string' ? libmime.decodeWords(v) : null])),
    };
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
