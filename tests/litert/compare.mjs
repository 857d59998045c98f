#!/usr/bin/env node
// Compares LiteRT's outputs (from run.mjs) with what qatrain wrote. Prints a summary on
// stdout; on failure one line on stderr and exit status 1 (2 for a usage error).
//
//   compare.mjs float    REF.npy GOT.npy
//       float32 outputs, element-wise: |got-ref| <= 1e-6 or |got-ref| <= 1e-5·|ref|.
//   compare.mjs int8     --engine P.npy --litert P.npy --engine-logits L.npy --litert-logits L.npy
//                        --logit-scale S --logit-zp Z --labels Y.npy --report R.json [--key KEY]
//       An int8 model through the int8 engine (P: its int8 softmax outputs, L: the int8
//       logits of its softmax-free variant) and through LiteRT (float outputs of the
//       float-interface variants, which must lie on the int8 grids). LiteRT requantizes in
//       float32 with one rounding, TFLM and our engine in fixed point with two, so:
//       - logits: every one within one step S of the engine's;
//       - probabilities (steps of 1/256): where a sample's logits agree, within one step (the
//         same softmax input through TFLM's fixed-point softmax and LiteRT's float one, each
//         rounded once); anywhere, within 128·S + 2 steps: logits one step apart move a softmax
//         output by at most S/2 (each row of the softmax Jacobian sums in absolute value to
//         2p(1-p) <= 1/2), that is 128·S steps, plus the two roundings and the fixed-point
//         approximation;
//       - predicted classes: the same, except where the engine's two classes in question are
//         within two logit steps (a tie or near-tie that one-step logit differences can flip);
//       With --logit-steps D (default 1; deeper 2-D stacks, where one-step differences of
//       earlier layers reach the logits), the logits within D steps, the probabilities within
//       128·S·D + 2 steps, and predictions may differ where the two classes are within 2·D
//       logit steps.
//       With --min-agree F, the predicted classes must also agree on at least the fraction F
//       of the samples.
//       - accuracy: LiteRT's differs from report.json results.KEY.test_accuracy (int8_qat by
//         default) by at most the number of such flips (equal when there are none), and the
//         engine file's accuracy is report.json's.
//   compare.mjs uint8    --engine U.npy --engine-int8 P.npy --litert U.npy --litert-int8 P.npy
//                        --labels Y.npy --report R.json --key KEY
//       A model exported with uint8 input and output (an int8 model's graph between QUANTIZE
//       uint8 → int8 and int8 → uint8, zero points + 128) through the int8 engine (U: its
//       uint8 outputs on its uint8 inputs; P: the int8 model's int8 outputs) and through
//       LiteRT (U: the uint8 model itself, which 2.5.3 runs; P: the int8 model's
//       float-interface variant, on the 1/256 grid). Both runtimes implement the two
//       QUANTIZEs as the exact shift they are, so:
//       - the engine's uint8 outputs are its int8 outputs + 128, byte for byte;
//       - LiteRT's uint8 outputs are its own int8 outputs + 128, byte for byte;
//       so LiteRT and the engine differ on the uint8 model exactly where they differ on the
//       int8 one, which `compare.mjs int8` bounds; the summary counts the samples on which
//       they agree byte for byte;
//       - the engine file's accuracy is report.json's results.KEY.test_accuracy.
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

function options(args, names, optional) {
    const o = {};
    for (let i = 0; i < args.length; i += 2) {
        const k = args[i]?.replace(/^--/, '');
        if (!args[i]?.startsWith('--') || !(names.includes(k) || optional.includes(k)) || i + 1 >= args.length)
            fail(`bad option '${args[i]}'`);
        o[k] = args[i + 1];
    }
    for (const k of names) if (o[k] === undefined) fail(`missing --${k}`);
    return o;
}

// LiteRT's DEQUANTIZE output is scale·(q - zp): its int8 values, or a failure when off the grid.
function onGrid(got, path, scale, zp) {
    const q = new Int32Array(got.data.length);
    let off = 0;
    for (let i = 0; i < q.length; i++) {
        const v = got.data[i] / scale + zp;
        q[i] = Math.round(v);
        if (Math.abs(v - q[i]) > 1e-3 || q[i] < -128 || q[i] > 127) off++;
    }
    if (off) fail(`${path}: ${off} outputs are not on the int8 grid of scale ${scale}, zero point ${zp}`);
    return q;
}

function rowArgmax(v, i, k) {
    let best = 0;
    for (let j = 1; j < k; j++) if (v[i * k + j] > v[i * k + best]) best = j;
    return best;
}

function cmpInt8(args) {
    const o = options(args, ['engine', 'litert', 'engine-logits', 'litert-logits', 'logit-scale',
                             'logit-zp', 'labels', 'report'], ['key', 'logit-steps', 'min-agree']);
    const key = o.key ?? 'int8_qat', ls = Number(o['logit-scale']), lz = Number(o['logit-zp']);
    const steps = o['logit-steps'] === undefined ? 1 : Number(o['logit-steps']);
    if (!Number.isInteger(steps) || steps < 1) fail(`bad logit steps ${o['logit-steps']}`);
    if (!(ls > 0) || !Number.isInteger(lz)) fail(`bad logit scale ${o['logit-scale']} / zero point ${o['logit-zp']}`);
    const pe = load(o.engine, ['|i1']), pg = load(o.litert, ['<f4']);
    const le = load(o['engine-logits'], ['|i1']), lg = load(o['litert-logits'], ['<f4']);
    sameShape(pe, o.engine, pg, o.litert);
    sameShape(pe, o.engine, le, o['engine-logits']);
    sameShape(le, o['engine-logits'], lg, o['litert-logits']);
    const n = pe.shape[0], k = pe.data.length / Math.max(n, 1), y = labels(o.labels, n);
    let report;
    try { report = JSON.parse(readFileSync(o.report, 'utf8')); }
    catch (e) { fail(`cannot read ${o.report}: ${e.code ?? e.message}`); }
    const repAcc = report?.results?.[key]?.test_accuracy;
    if (typeof repAcc !== 'number') fail(`${o.report}: no results.${key}.test_accuracy`);
    const pl = onGrid(pg, o.litert, 1 / 256, -128), ll = onGrid(lg, o['litert-logits'], ls, lz);

    const bound = 128 * ls * steps + 2;
    let maxL = 0, maxP = 0, maxPSame = 0, stepped = 0, worst = -1;
    const flips = [];
    let correctE = 0, correctL = 0;
    for (let i = 0; i < n; i++) {
        let rowL = 0, rowP = 0;
        for (let j = i * k; j < (i + 1) * k; j++) {
            rowL = Math.max(rowL, Math.abs(ll[j] - le.data[j]));
            rowP = Math.max(rowP, Math.abs(pl[j] - pe.data[j]));
        }
        if (rowL > maxL) maxL = rowL;
        if (rowP > maxP) { maxP = rowP; worst = i; }
        if (rowL === 0) maxPSame = Math.max(maxPSame, rowP);
        else stepped++;
        const a = rowArgmax(pe.data, i, k), b = rowArgmax(pl, i, k);
        correctE += a === y[i] ? 1 : 0;
        correctL += b === y[i] ? 1 : 0;
        if (a !== b) flips.push({ i, a, b, gap: le.data[i * k + a] - le.data[i * k + b] });
    }
    const correctR = Math.round(repAcc * n);
    console.log(`int8 (${key}): ${n} samples; logits differ by at most ${maxL} step (of ${ls}) on ${stepped} samples; ` +
        `probabilities by at most ${maxP} steps of 1/256 (sample ${worst}; bound ${bound.toFixed(1)}), ` +
        `${maxPSame} where the logits agree; predictions differ on ${flips.length}/${n}` +
        flips.map((f) => ` [sample ${f.i}: ${f.a} vs ${f.b}, engine logits ${f.gap} steps apart]`).join('') +
        `; accuracy LiteRT ${pct(correctL / n)}, int8 engine ${pct(correctE / n)}, report.json ${pct(repAcc)}`);
    if (maxL > steps) fail(`LiteRT's logits differ from the int8 engine's by ${maxL} steps (more than ${steps})`);
    if (maxPSame > 1) fail(`probabilities differ by ${maxPSame} steps on a sample whose logits agree (more than one)`);
    if (maxP > bound) fail(`probabilities differ by ${maxP} steps on sample ${worst}, more than one logit step allows (${bound.toFixed(1)})`);
    for (const f of flips)
        if (f.gap > 2 * steps) fail(`sample ${f.i}: LiteRT predicts ${f.b}, the int8 engine ${f.a}, whose logits are ${f.gap} steps apart (more than ${2 * steps})`);
    if (correctE !== correctR) fail(`${o.engine} scores ${correctE}/${n}, report.json ${key} ${correctR}/${n}: not the model the report scored`);
    const minAgree = o['min-agree'] === undefined ? 0 : Number(o['min-agree']);
    if (!(minAgree >= 0 && minAgree <= 1)) fail(`bad --min-agree ${o['min-agree']}`);
    if ((n - flips.length) < minAgree * n)
        fail(`predictions agree on ${n - flips.length}/${n}, below the ${pct(minAgree)} required`);
    if (Math.abs(correctL - correctR) > flips.length)
        fail(`LiteRT scores ${correctL}/${n}, report.json ${correctR}/${n}: more apart than the ${flips.length} differing predictions explain`);
}

// Indices where a (uint8) is not b (int8) + 128.
function notShifted(a, b) {
    const bad = [];
    for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b[i] + 128) bad.push(i);
    return bad;
}

function cmpUint8(args) {
    const o = options(args, ['engine', 'engine-int8', 'litert', 'litert-int8', 'labels', 'report', 'key'], []);
    const eu = load(o.engine, ['|u1']), ei = load(o['engine-int8'], ['|i1']);
    const lu = load(o.litert, ['|u1']), lf = load(o['litert-int8'], ['<f4']);
    sameShape(eu, o.engine, ei, o['engine-int8']);
    sameShape(eu, o.engine, lu, o.litert);
    sameShape(lu, o.litert, lf, o['litert-int8']);
    const n = eu.shape[0], k = eu.data.length / Math.max(n, 1), y = labels(o.labels, n);
    let report;
    try { report = JSON.parse(readFileSync(o.report, 'utf8')); }
    catch (e) { fail(`cannot read ${o.report}: ${e.code ?? e.message}`); }
    const repAcc = report?.results?.[o.key]?.test_accuracy;
    if (typeof repAcc !== 'number') fail(`${o.report}: no results.${o.key}.test_accuracy`);
    const li = onGrid(lf, o['litert-int8'], 1 / 256, -128);
    const be = notShifted(eu, ei.data), bl = notShifted(lu, li);
    if (be.length) fail(`${o.engine}: ${be.length} outputs are not ${o['engine-int8']}'s + 128 (first: element ${be[0]})`);
    if (bl.length) fail(`${o.litert}: ${bl.length} outputs are not LiteRT's int8 outputs (${o['litert-int8']}) + 128 (first: element ${bl[0]})`);
    let same = 0, bytes = 0, maxD = 0, correctE = 0, correctL = 0;
    for (let i = 0; i < n; i++) {
        let rowSame = true;
        for (let j = i * k; j < (i + 1) * k; j++) {
            const d = Math.abs(eu.data[j] - lu.data[j]);
            if (d) { rowSame = false; bytes++; maxD = Math.max(maxD, d); }
        }
        same += rowSame ? 1 : 0;
        correctE += rowArgmax(eu.data, i, k) === y[i] ? 1 : 0;
        correctL += rowArgmax(lu.data, i, k) === y[i] ? 1 : 0;
    }
    console.log(`uint8 (${o.key}): ${n} samples; every output the int8 model's + 128 in the engine and in LiteRT; ` +
        `LiteRT equals the engine byte for byte on ${same}/${n} samples (${bytes} of ${eu.data.length} bytes differ, ` +
        `by at most ${maxD}: where their int8 outputs do); accuracy LiteRT ${pct(correctL / n)}, int8 engine ${pct(correctE / n)}, ` +
        `report.json ${pct(repAcc)}`);
    if (correctE !== Math.round(repAcc * n))
        fail(`${o.engine} scores ${correctE}/${n}, report.json ${o.key} ${Math.round(repAcc * n)}/${n}: not the model the report scored`);
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

const modes = { float: [cmpFloat, 2, 2], int8: [cmpInt8, 16, 22], uint8: [cmpUint8, 14, 14], accuracy: [cmpAccuracy, 4, 5] };
const [mode, ...args] = process.argv.slice(2);
const m = modes[mode];
if (!m || args.length < m[1] || args.length > m[2]) {
    process.stderr.write('usage: compare.mjs float REF GOT | int8 --engine P --litert P --engine-logits L --litert-logits L --logit-scale S --logit-zp Z --labels Y --report R [--key K] [--logit-steps D] [--min-agree F] | uint8 --engine U --engine-int8 P --litert U --litert-int8 P --labels Y --report R --key K | accuracy NAME GOT BASE LABELS [POINTS]\n');
    process.exit(2);
}
try {
    m[0](args);
} catch (e) {
    process.stderr.write(`compare: ${e instanceof Failure ? e.message : `internal error: ${e?.stack ?? e}`}`.replace(/\s*\n\s*/g, ' ') + '\n');
    process.exitCode = 1;
}
