#!/usr/bin/env node
// Peer benchmark for `make bench`: Carbone renders DOCX templates with data to PDF.
//
//   node render.js JOBS.json
//
// JOBS.json: {"jobs": [{"template": "/abs/t.docx", "data": {...}, "out": "/abs/x.pdf"?}, ...],
//             "factories": 2, "concurrency": 4, "warmup": 2, "tempPath": "/abs/dir"}
// Every job is rendered to PDF (`convertTo: 'pdf'`); a job with "out" also writes its PDF.
// The first `warmup` jobs are rendered once before the clock starts (LibreOffice start-up),
// then every job is rendered with `concurrency` renders in flight. Prints one JSON object.
'use strict';

const fs = require('fs');
const path = require('path');

function main () {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  let carbone, version;
  try {
    carbone = require('carbone');
    version = require('carbone/package.json').version;
  } catch (e) {
    // Said in the one JSON line, first: a stack trace's tail would not say what failed.
    process.stdout.write(JSON.stringify({ error: 'cannot load carbone: ' + e.message }) + '\n');
    process.exit(1);
  }
  const factories = spec.factories || 2;
  const concurrency = spec.concurrency || factories * 2;
  const jobs = spec.jobs;
  const t0 = process.hrtime.bigint();
  const opts = { factories: factories, startFactory: true };
  if (spec.tempPath) {
    fs.mkdirSync(spec.tempPath, { recursive: true });
    opts.tempPath = spec.tempPath;
  }
  carbone.set(opts);

  const ms = (a, b) => Number(b - a) / 1e6;
  const renderOne = (job) => new Promise((resolve) => {
    const s = process.hrtime.bigint();
    carbone.render(job.template, job.data, { convertTo: 'pdf' }, (err, result) => {
      const e = process.hrtime.bigint();
      if (err) {
        resolve({ ok: false, ms: ms(s, e), error: String(err) });
        return;
      }
      if (job.out) {
        fs.mkdirSync(path.dirname(job.out), { recursive: true });
        fs.writeFileSync(job.out, result);
      }
      resolve({ ok: true, ms: ms(s, e), bytes: result.length });
    });
  });

  async function runAll (list, inFlight) {
    const results = new Array(list.length);
    let next = 0;
    async function lane () {
      while (next < list.length) {
        const i = next++;
        results[i] = await renderOne(list[i]);
      }
    }
    const lanes = [];
    for (let k = 0; k < Math.min(inFlight, list.length); k++) lanes.push(lane());
    await Promise.all(lanes);
    return results;
  }

  (async () => {
    const warm = jobs.slice(0, Math.max(0, spec.warmup === undefined ? factories : spec.warmup));
    const warmResults = await runAll(warm.map((j) => ({ template: j.template, data: j.data })),
      factories);
    const t1 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const results = await runAll(jobs, concurrency);
    const t2 = process.hrtime.bigint();
    const cpu = process.cpuUsage(cpu0);
    const ok = results.filter((r) => r.ok);
    const per = ok.map((r) => r.ms).sort((a, b) => a - b);
    const out = {
      carbone_version: version,
      node_version: process.version,
      factories: factories,
      concurrency: concurrency,
      docs: jobs.length,
      ok: ok.length,
      errors: results.filter((r) => !r.ok).map((r) => r.error).slice(0, 5),
      warmup_errors: warmResults.filter((r) => !r.ok).map((r) => r.error).slice(0, 5),
      startup_ms: ms(t0, t1),
      wall_ms: ms(t1, t2),
      docs_per_s: ok.length / (ms(t1, t2) / 1000),
      ms_per_doc: ms(t1, t2) / Math.max(1, ok.length),
      latency_ms_median: per.length ? per[Math.floor(per.length / 2)] : null,
      node_cpu_ms: { user: cpu.user / 1000, system: cpu.system / 1000 },
      node_max_rss_kb: process.resourceUsage().maxRSS
    };
    process.stdout.write(JSON.stringify(out) + '\n');
    // Carbone's factories hold the event loop open: stop them, then leave.
    const exit = carbone.exit || require('carbone/lib/converter').exit;
    let done = false;
    const leave = () => { if (!done) { done = true; process.exit(0); } };
    try { exit(leave); } catch (e) { leave(); }
    setTimeout(leave, 10000).unref();
  })().catch((e) => {
    process.stdout.write(JSON.stringify({ error: String(e && e.stack || e) }) + '\n');
    process.exit(1);
  });
}

main();
