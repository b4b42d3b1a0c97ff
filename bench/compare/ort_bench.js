// ONNX Runtime (onnxruntime-node, CPU execution provider) side of bench/compare/run.sh.
//
//   node ort_bench.js --model M.onnx --context 512 --channels 7
//        [--threads 1,2] [--batches 1,8,64,256] [--seconds 2] [--tag common]
//        [--wait default|passive] [--min-calls 20] [--dump-dir DIR]
//        [--check WINDOW.f32 --check-out Y.f32]
//
// For each thread count one InferenceSession (intraOpNumThreads N, interOpNumThreads 1,
// sequential execution, all graph optimisations); for each batch size a warm-up, then one
// awaited session.run after another for S seconds and at least --min-calls calls; prints one JSON line per
// (threads, batch) with the median and p90 wall time per call and samples/s = batch / median,
// as build/bench and torch_bench.py do. Inputs are build/bench's: x[i] = sin(0.01 i).
// --dump-dir writes the output of each timed input as DIR/ort-t<N>-<wait>-b<B>.f32 (raw float32).
// --wait passive sets session.intra_op.allow_spinning = 0 (idle pool threads sleep instead of
// spinning; much better on a machine that other work keeps busy); default leaves ORT's spinning.
// --check runs the model once on WINDOW.f32 (one [1, context, channels] window, raw float32)
// with one thread and writes the output as raw float32, and benchmarks nothing.
// Install: cd bench/compare && ONNXRUNTIME_NODE_INSTALL=skip npm install
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function parseArgs(argv) {
  const a = {threads: '1,2', batches: '1,8,64,256', seconds: '2', tag: 'common', wait: 'default',
             min_calls: '20'};
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    if (!k.startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${k}`);
    a[k.slice(2).replace(/-/g, '_')] = argv[++i];
  }
  for (const k of ['model', 'context', 'channels'])
    if (!(k in a)) throw new Error(`--${k} is required`);
  return a;
}

async function session(model, threads, wait) {
  const opts = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  if (wait === 'passive') opts.extra = {session: {intra_op: {allow_spinning: '0'}}};
  else if (wait !== 'default') throw new Error(`--wait: expected default or passive, got ${wait}`);
  return ort.InferenceSession.create(model, opts);
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

async function main() {
  const a = parseArgs(process.argv);
  const L = parseInt(a.context, 10), C = parseInt(a.channels, 10);
  if (a.check) {
    const buf = fs.readFileSync(a.check);
    const x = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    if (x.length !== L * C) throw new Error(`${a.check}: ${x.length} values, expected ${L * C}`);
    const s = await session(a.model, 1, 'default');
    const out = await s.run({past_values: new ort.Tensor('float32', Float32Array.from(x), [1, L, C])});
    const y = out[s.outputNames[0]].data;
    fs.writeFileSync(a.check_out, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
    return;
  }
  const seconds = parseFloat(a.seconds), minCalls = parseInt(a.min_calls, 10);
  const batches = a.batches.split(',').filter(Boolean).map(Number);
  console.log(JSON.stringify({kind: 'info', ort: ort.env.versions.node || ort.env.versions.common,
                              node: process.version, model: a.tag}));
  for (const threads of a.threads.split(',').filter(Boolean).map(Number)) {
    const s = await session(a.model, threads, a.wait);
    for (const B of batches) {
      const n = B * L * C;
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = Math.sin(0.01 * i);
      const feeds = {past_values: new ort.Tensor('float32', x, [B, L, C])};
      if (a.dump_dir) {
        const y = (await s.run(feeds))[s.outputNames[0]].data;
        fs.writeFileSync(`${a.dump_dir}/ort-t${threads}-${a.wait}-b${B}.f32`,
                         Buffer.from(y.buffer, y.byteOffset, y.byteLength));
      }
      let k = 0;
      const tWarm = now() + 0.3;
      while (now() < tWarm || k < 3) { await s.run(feeds); k++; }
      const times = [];
      const tEnd = now() + seconds;
      while (now() < tEnd || times.length < minCalls) {
        const t0 = now();
        await s.run(feeds);
        times.push(now() - t0);
      }
      times.sort((p, q) => p - q);
      const med = times[Math.floor(times.length / 2)];
      const p90 = times[Math.floor(0.9 * (times.length - 1))];
      console.log(JSON.stringify({kind: 'infer', engine: 'ort', model: a.tag, threads, wait: a.wait, batch: B,
                                  median_ms: med * 1e3, p90_ms: p90 * 1e3, samples_per_s: B / med,
                                  calls: times.length}));
    }
    if (s.release) await s.release();
  }
}

main().catch((e) => { console.error(`ort_bench: ${e.message || e}`); process.exit(1); });
