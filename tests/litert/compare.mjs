#!/usr/bin/env node
// Compares LiteRT's outputs (from run.mjs) with what qatrain wrote. Prints one summary line
// on stdout; on failure one line on stderr and exit status 1 (2 for a usage error).
//
//   compare.mjs float    REF.npy GOT.npy
//       float32 outputs, element-wise: |got-ref| <= 1e-6 or |got-ref| <= 1e-5·|ref|.
//   compare.mjs int8     ENGINE_INT8.npy GOT.npy LABELS.npy REPORT.json [SCALE ZP [KEY]]
//       GOT: LiteRT's float outputs of the float-interface int8 model; ENGINE_INT8: the int8
//       engine's outputs (quantized with SCALE/ZP, default 1/256 and -128, softmax's). Checks
//       that GOT lies on that grid, predicted classes agree on >= 99 % of the samples, and
//       LiteRT's accuracy is within one sample of report.json results.KEY.test_accuracy
//       (KEY: int8_qat by default; int8_qat_pruned for the pruned model).
//   compare.mjs accuracy NAME GOT.npy BASE.npy LABELS.npy [POINTS]
//       NAME's accuracy (GOT) within POINTS (default 2) percentage points of BASE's.
import { readFileSync } from 'node:fs';
import { readNpy } from './run.mjs';

class Failure extends Error {}
const fail = (msg) => { throw new Failure(msg); };

function load(path, descrs) {
    let a;
    try { a = readNpy(path); }
    catch (e) { fail(e.code ? `cannot read ${path}: ${e.code}` : e.message); }
    if (!descrs.includes(a.descr)) fail(`${path}: dtype '${a.descr}', want ${descrs.join(' or ')}`);
    return a;
}

function sameShape(a, pa, b, pb) {
    if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i]))
        fail(`shape mismatch: ${pa} is (${a.shape}), ${pb} is (${b.shape})`);
}

// Row-wise argmax (first maximum wins, as in qatrain) of an (N, K) array.
function argmax(a) {
    const [n, k] = [a.shape[0], a.data.length / Math.max(a.shape[0], 1)];
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (a.data[i * k + j] > a.data[i * k + best]) best = j;
        out[i] = best;
    }
    return out;
}

function labels(path, n) {
    const y = load(path, ['<i4', '<i8', '|i1', '|u1']);
    if (y.shape.length !== 1 || y.shape[0] !== n) fail(`${path}: shape (${y.shape}), want (${n},)`);
    return Array.from(y.data, Number);
}

const accuracy = (pred, y) => pred.reduce((s, p, i) => s + (p === y[i] ? 1 : 0), 0) / y.length;
const pct = (x) => (100 * x).toFixed(2) + ' %';

function cmpFloat([refPath, gotPath]) {
    const ref = load(refPath, ['<f4']), got = load(gotPath, ['<f4']);
    sameShape(ref, refPath, got, gotPath);
    let maxAbs = 0, maxRel = 0, worst = 0, bad = -1;
    for (let i = 0; i < ref.data.length; i++) {
        const r = ref.data[i], d = Math.abs(got.data[i] - r);
        if (!(d <= 1e-6 || d <= 1e-5 * Math.abs(r)) && bad < 0) bad = i;
        worst = Math.max(worst, Math.min(d / 1e-6, d / (1e-5 * Math.abs(r))));
        maxAbs = Math.max(maxAbs, d);
        if (r !== 0) maxRel = Math.max(maxRel, d / Math.abs(r));
        else if (d > 0) maxRel = Infinity;
    }
    if (bad >= 0)
        fail(`float32 outputs differ: element ${bad}: LiteRT ${got.data[bad]}, qatrain ${ref.data[bad]} (max abs ${maxAbs.toExponential(2)}, max rel ${maxRel.toExponential(2)})`);
    console.log(`float32: ${ref.shape[0]} samples, max abs error ${maxAbs.toExponential(2)}, max rel error ${maxRel.toExponential(2)}; ` +
        `the worst element uses ${(100 * worst).toFixed(0)} % of the tolerance (abs 1e-6 or rel 1e-5)`);
}

function cmpInt8([enginePath, gotPath, labelsPath, reportPath, scaleArg, zpArg, keyArg]) {
    const key = keyArg ?? 'int8_qat';
    const scale = scaleArg === undefined ? 1 / 256 : Number(scaleArg);
    const zp = zpArg === undefined ? -128 : Number(zpArg);
    if (!(scale > 0) || !Number.isInteger(zp)) fail(`bad output scale ${scaleArg} / zero point ${zpArg}`);
    const q = load(enginePath, ['|i1']), got = load(gotPath, ['<f4']);
    sameShape(q, enginePath, got, gotPath);
    const n = q.shape[0], y = labels(labelsPath, n);
    let report;
    try { report = JSON.parse(readFileSync(reportPath, 'utf8')); }
    catch (e) { fail(`cannot read ${reportPath}: ${e.code ?? e.message}`); }
    const repAcc = report?.results?.[key]?.test_accuracy;
    if (typeof repAcc !== 'number') fail(`${reportPath}: no results.${key}.test_accuracy`);

    // LiteRT's DEQUANTIZE output is scale·(q - zp): recover its int8 values.
    let maxSteps = 0, maxSample = -1, offGrid = 0;
    const steps = new Map();
    for (let i = 0; i < q.data.length; i++) {
        const lq = got.data[i] / scale + zp, lqi = Math.round(lq);
        if (Math.abs(lq - lqi) > 1e-3 || lqi < -128 || lqi > 127) offGrid++;
        const s = Math.abs(got.data[i] - scale * (q.data[i] - zp)) / scale;
        steps.set(Math.round(s), (steps.get(Math.round(s)) ?? 0) + 1);
        if (s > maxSteps) { maxSteps = s; maxSample = Math.floor(i / (q.data.length / n)); }
    }
    if (offGrid) fail(`${offGrid} LiteRT outputs are not on the int8 grid of scale ${scale}, zero point ${zp}: wrong output quantization?`);
    const pe = argmax(q), pl = argmax(got);
    let agree = 0;
    for (let i = 0; i < n; i++) agree += pe[i] === pl[i] ? 1 : 0;
    const accL = accuracy(Array.from(pl), y), accE = accuracy(Array.from(pe), y);
    const hist = [...steps.entries()].sort((a, b) => a[0] - b[0]).map(([s, c]) => `${s}:${c}`).join(' ');
    console.log(`int8: ${n} samples, predictions agree on ${agree}/${n} (${pct(agree / n)}); ` +
        `max output difference ${maxSteps.toFixed(2)} int8 steps (sample ${maxSample}; steps:count ${hist}); ` +
        `accuracy LiteRT ${pct(accL)}, int8 engine ${pct(accE)}, report.json ${pct(repAcc)}`);
    if (agree < 0.99 * n) fail(`LiteRT and the int8 engine predict the same class on only ${agree}/${n} samples (< 99 %)`);
    if (Math.abs(accL - repAcc) * n > 1 + 1e-3)
        fail(`LiteRT accuracy ${pct(accL)} and report.json ${key} accuracy ${pct(repAcc)} differ by more than one test sample`);
}

function cmpAccuracy([name, gotPath, basePath, labelsPath, pointsArg]) {
    const points = pointsArg === undefined ? 2 : Number(pointsArg);
    const got = load(gotPath, ['<f4']), base = load(basePath, ['<f4']);
    sameShape(got, gotPath, base, basePath);
    const y = labels(labelsPath, got.shape[0]);
    const a = accuracy(Array.from(argmax(got)), y), b = accuracy(Array.from(argmax(base)), y);
    console.log(`${name}: accuracy ${pct(a)} (float32 ${pct(b)}, ${((a - b) * 100).toFixed(2)} points)`);
    if (Math.abs(a - b) * 100 > points + 1e-9)
        fail(`${name} accuracy ${pct(a)} is more than ${points} points from float32's ${pct(b)}`);
}

const modes = { float: [cmpFloat, 2, 2], int8: [cmpInt8, 4, 7], accuracy: [cmpAccuracy, 4, 5] };
const [mode, ...args] = process.argv.slice(2);
const m = modes[mode];
if (!m || args.length < m[1] || args.length > m[2]) {
    process.stderr.write('usage: compare.mjs float REF GOT | int8 ENGINE_INT8 GOT LABELS REPORT [SCALE ZP [KEY]] | accuracy NAME GOT BASE LABELS [POINTS]\n');
    process.exit(2);
}
try {
    m[0](args);
} catch (e) {
    process.stderr.write(`compare: ${e instanceof Failure ? e.message : `internal error: ${e?.stack ?? e}`}`.replace(/\s*\n\s*/g, ' ') + '\n');
    process.exitCode = 1;
}
