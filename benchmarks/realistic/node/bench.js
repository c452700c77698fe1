// The Node pipeline of tplkit's realistic benchmark: precompiled Handlebars templates (one
// per locale, built by ../corpus.py from the same MRML + premailer output) and Intl
// formatters made once per (locale, currency).
//   node bench.js BUILD.json CONTEXTS.jsonl SECONDS DUMP.json DUMP_COUNT
// prints one JSON line {pipeline, messages, seconds, msgs_per_s} and writes the first
// DUMP_COUNT messages as [[subject, html, text], ...] to DUMP.json for the content check.
'use strict';
const fs = require('fs');
const Handlebars = require('handlebars');

const [build, contextsPath, seconds, dumpPath, dumpCount] = process.argv.slice(2);
const sources = JSON.parse(fs.readFileSync(build, 'utf8'));
const records = fs.readFileSync(contextsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

function engine(locale) {
  const hb = Handlebars.create();
  const money = new Map();
  const dates = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' });
  const numbers = new Intl.NumberFormat(locale);
  hb.registerHelper('money', (v) => {
    let f = money.get(v.currency);
    if (!f) {
      // tplkit's locale style writes € in uk where CLDR has EUR
      const display = locale === 'uk' && v.currency === 'EUR' ? 'narrowSymbol' : 'symbol';
      f = new Intl.NumberFormat(locale, { style: 'currency', currency: v.currency, currencyDisplay: display });
      money.set(v.currency, f);
    }
    return f.format(Number(v.amount));
  });
  hb.registerHelper('date', (v) => dates.format(new Date(v)).replace(/ /g, '\u00a0'));
  hb.registerHelper('number', (v) => numbers.format(v));
  const s = sources[locale];
  return {
    subject: hb.compile(s.subject, { noEscape: true, strict: false }),
    html: hb.compile(s.html),
    text: hb.compile(s.text, { noEscape: true }),
  };
}

const engines = {};
for (const locale of Object.keys(sources)) engines[locale] = engine(locale);

function render([locale, ctx]) {
  const e = engines[locale];
  return [e.subject(ctx), e.html(ctx), e.text(ctx)];
}

// V8 builds ropes when concatenating: read one character to make each string flat, as the
// shared benchmark's harness does
function flat(out) {
  let n = 0;
  for (const s of out) n += s.charCodeAt(s.length >> 1) | 0;
  return n;
}

fs.writeFileSync(dumpPath, JSON.stringify(records.slice(0, Number(dumpCount)).map(render)));
for (let i = 0; i < 2; i++) for (const r of records) flat(render(r));   // warm-up
let n = 0;
const t0 = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < Number(seconds)) {
  for (const r of records) flat(render(r));
  n += records.length;
  elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
}
process.stdout.write(JSON.stringify({ pipeline: 'node-handlebars-intl', messages: n, seconds: elapsed,
  msgs_per_s: n / elapsed }) + '\n');
