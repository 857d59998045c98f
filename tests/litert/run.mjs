#!/usr/bin/env node
// Runs a .tflite model through the official LiteRT runtime (@litertjs/core, WebAssembly,
// CPU/XNNPACK path) under Node: the second oracle of DESIGN.md "Verification strategy".
//
//   node tests/litert/run.mjs MODEL.tflite INPUTS.npy OUTPUTS.npy [MODEL INPUTS OUTPUTS]...
//
// Several models in one process: LiteRT's start-up (about 0.6 s) is most of a run's time,
// so the tests queue their runs and make them at once (tests/e2e/litert.inc).
// INPUTS.npy: the model input's type, float32 ('<f4') or uint8 ('|u1'; a full-int8 model
// exported with uint8 input), C order, shape (N, ...model input shape without batch).
// Each sample runs alone (batch 1); OUTPUTS.npy gets the model output's type, float32 or
// uint8, shape (N, ...output shape without batch).
// On any failure: one line on stderr naming the model, exit status 1 (2 for a usage error),
// nothing on stdout; the models before it have written their outputs, the rest have not.
// LITERT_VERBOSE=1 passes LiteRT's own log lines through to stderr.
//
// Also exports the tiny .npy reader/writer that compare.mjs uses.
import { readFileSync, writeFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

// ---------------------------------------------------------------- .npy (format 1.0-3.0)

const NPY_TYPES = {
    '<f4': Float32Array, '<f8': Float64Array, '|i1': Int8Array, '|u1': Uint8Array,
    '<i4': Int32Array, '<i8': BigInt64Array, '|b1': Uint8Array,
};

// Returns { descr, shape: number[], data: TypedArray } (data in C order).
export function readNpy(path) {
    const buf = readFileSync(path);
    const bad = (why) => new Error(`${path}: not a usable .npy file (${why})`);
    if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw bad('no \\x93NUMPY magic');
    const major = buf[6];
    let hlen, start;
    if (major === 1) { hlen = buf.readUInt16LE(8); start = 10; }
    else if (major === 2 || major === 3) { hlen = buf.readUInt32LE(8); start = 12; }
    else throw bad(`format version ${major}.${buf[7]}`);
    if (start + hlen > buf.length) throw bad('truncated header');
    const header = buf.toString('latin1', start, start + hlen);
    const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
    const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
    const shapeStr = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
    if (descr === undefined || fortran === undefined || shapeStr === undefined) throw bad('unreadable header');
    if (fortran !== 'False') throw bad('fortran_order is True');
    const Ctor = NPY_TYPES[descr === '<i1' ? '|i1' : descr === '<u1' ? '|u1' : descr];
    if (!Ctor) throw bad(`unsupported dtype '${descr}'`);
    const shape = shapeStr.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`bad shape (${shapeStr})`);
    const count = shape.reduce((a, b) => a * b, 1);
    const off = start + hlen;
    const bytes = count * Ctor.BYTES_PER_ELEMENT;
    if (buf.length - off !== bytes) throw bad(`${buf.length - off} data bytes, shape (${shape}) needs ${bytes}`);
    const data = new Ctor(count);                     // copy: the Buffer may be unaligned
    new Uint8Array(data.buffer).set(buf.subarray(off, off + bytes));
    return { descr, shape, data };
}

// Writes a float32 or uint8 array as NumPy format 1.0, '<f4' or '|u1', C order (header
// padded to 64 bytes).
export function writeNpy(path, shape, data) {
    const descr = data instanceof Float32Array ? '<f4' : data instanceof Uint8Array ? '|u1' : null;
    if (!descr) throw new Error('writeNpy: float32 or uint8 data only');
    const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
    const total = Math.ceil((10 + header.length + 1) / 64) * 64;
    header = header.padEnd(total - 10 - 1, ' ') + '\n';
    const pre = Buffer.alloc(10);
    Buffer.from('\x93NUMPY', 'latin1').copy(pre, 0);
    pre[6] = 1; pre[7] = 0; pre.writeUInt16LE(header.length, 8);
    const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    writeFileSync(path, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

// ---------------------------------------------------------------- LiteRT under Node

const WASM_DIR = fileURLToPath(new URL('./node_modules/@litertjs/core/wasm/', import.meta.url));
// The build without relaxed SIMD: it runs on every Node >= 20 and its results do not depend
// on the host CPU (relaxed-SIMD instructions may, e.g. fused or unfused multiply-add).
const WASM_GLUE = WASM_DIR + 'litert_wasm_compat_internal.js';

const logLines = [];                     // LiteRT's own log output, kept for error messages
const verbose = process.env.LITERT_VERBOSE === '1';
function logLine(...args) {
    const line = args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ')
        .replace(/%c/g, '');
    logLines.push(line);
    if (verbose) process.stderr.write(line + '\n');
}

// @litertjs/wasm-utils loads the Emscripten glue with importScripts() (web worker) or a
// <script> tag, then takes the factory from self.ModuleFactory. Under Node we provide
// importScripts: run the glue as CommonJS (it has a native Node path: it reads the .wasm
// next to it with node:fs) and publish its export as self.ModuleFactory. self.Module, if
// set, is passed to the factory: we use it to route LiteRT's stdout/stderr into logLines.
function installShim() {
    globalThis.self ??= globalThis;
    globalThis.importScripts = (url) => {
        const file = String(url).startsWith('file:') ? fileURLToPath(url) : String(url);
        const wrapped = `(function (require, module, exports, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`;
        const mod = { exports: {} };
        vm.runInThisContext(wrapped, { filename: file })(createRequire(file), mod, mod.exports, file, dirname(file));
        globalThis.ModuleFactory = mod.exports;
    };
    globalThis.Module = { print: logLine, printErr: logLine };
    // The default environment tries navigator.gpu (WebGPU) and warns when it is missing;
    // LiteRT's JS layer also logs with console.*: keep all of it out of our stderr.
    for (const k of ['log', 'info', 'warn', 'error', 'debug']) console[k] = logLine;
}

// Why LiteRT failed: its exception text without source-file prefixes, plus the first error
// lines it logged (the root cause comes first; later lines repeat it for other tensors).
function liteRtWhy(e) {
    const strip = (t) => t.replace(/(ERROR|WARNING|INFO): \[[^\]]*\]/g, '').replace(/[└─│]/g, '')
        .replace(/^ERROR:\s*/, '').replace(/\s+/g, ' ').trim();
    const parts = [strip(e?.message ?? String(e))];
    for (const l of logLines.filter((l) => /^(ERROR|FATAL)\b|Aborted\(/.test(l)).map(strip)) {
        if (parts.length >= 3) break;
        if (l && !parts.includes(l)) parts.push(l);
    }
    return parts.filter(Boolean).join('; ') || 'unknown error';
}

class Failure extends Error {}
const fail = (msg) => { throw new Failure(msg); };

async function main(argv) {
    if (argv.length < 3 || argv.length % 3 !== 0) {
        process.stderr.write('usage: node tests/litert/run.mjs MODEL.tflite INPUTS.npy OUTPUTS.npy [MODEL INPUTS OUTPUTS]...\n');
        return 2;
    }
    installShim();
    let lrt;
    try {
        lrt = await import('@litertjs/core');
    } catch (e) {
        fail(`@litertjs/core is not installed (run tests/litert/ensure.sh): ${e.message}`);
    }
    try {
        await lrt.loadLiteRt(WASM_GLUE);
    } catch (e) {
        fail(`LiteRT failed to initialise: ${e.message}`);
    }
    for (let k = 0; k < argv.length; k += 3) await runModel(lrt, argv[k], argv[k + 1], argv[k + 2]);
    return 0;
}

// One model on every sample of one inputs file, written to one outputs file.
async function runModel(lrt, modelPath, inPath, outPath) {
    const name = modelPath;
    let model;
    try { model = new Uint8Array(readFileSync(modelPath)); }
    catch (e) { fail(`cannot read model ${modelPath}: ${e.code ?? e.message}`); }
    let inp;
    try { inp = readNpy(inPath); }
    catch (e) { fail(e.code ? `cannot read inputs ${inPath}: ${e.code}` : e.message); }
    if (inp.descr !== '<f4' && inp.descr !== '|u1') fail(`${inPath}: dtype '${inp.descr}', want float32 '<f4' or uint8 '|u1'`);
    if (inp.shape.length < 1) fail(`${inPath}: a scalar, want (N, ...input shape)`);

    let compiled;
    try {
        compiled = await lrt.loadAndCompile(model, { accelerator: 'wasm' });
    } catch (e) {
        let why = liteRtWhy(e);
        if (/Element type (INT8|INT16|UINT8|FLOAT16) is not supported/.test(why))
            why += ' (@litertjs/core 2.5.3 takes float32/int32/uint8 I/O only: use the float-interface model)';
        fail(`LiteRT refused ${name}: ${why}`);
    }
    const ins = compiled.getInputDetails(), outs = compiled.getOutputDetails();
    if (ins.length !== 1 || outs.length !== 1)
        fail(`${name}: ${ins.length} inputs and ${outs.length} outputs, want 1 and 1`);
    const [id, od] = [ins[0], outs[0]];
    const types = { float32: ['<f4', Float32Array], uint8: ['|u1', Uint8Array] };
    if (!types[id.dtype] || !types[od.dtype])
        fail(`${name}: input ${id.dtype}, output ${od.dtype}; want float32 or uint8 in and out`);
    if (inp.descr !== types[id.dtype][0])
        fail(`${inPath}: dtype '${inp.descr}', but ${name} takes ${id.dtype} ('${types[id.dtype][0]}')`);
    const ishape = Array.from(id.shape), oshape = Array.from(od.shape);
    if (ishape[0] !== 1 || oshape[0] !== 1)
        fail(`${name}: input shape [${ishape}], output shape [${oshape}]; want batch 1`);
    const want = ishape.slice(1), got = inp.shape.slice(1);
    if (want.length !== got.length || want.some((d, i) => d !== got[i]))
        fail(`shape mismatch: ${inPath} has samples of shape (${got}), ${name} takes (${want})`);

    const n = inp.shape[0];
    const isz = want.reduce((a, b) => a * b, 1), osz = oshape.reduce((a, b) => a * b, 1);
    const Out = types[od.dtype][1], out = new Out(n * osz);
    for (let i = 0; i < n; i++) {
        const t = new lrt.Tensor(inp.data.slice(i * isz, (i + 1) * isz), ishape);
        let res;
        try {
            res = await compiled.run([t]);
        } catch (e) {
            fail(`LiteRT failed on sample ${i} of ${name}: ${liteRtWhy(e)}`);
        } finally {
            t.delete();
        }
        const y = res[0].toTypedArray();
        for (const r of res) r.delete();
        if (!(y instanceof Out) || y.length !== osz)
            fail(`${name}: output of sample ${i} has ${y.length} values, want ${osz}`);
        out.set(y, i * osz);
    }
    compiled.delete();
    try { writeNpy(outPath, [n, ...oshape.slice(1)], out); }
    catch (e) { fail(`cannot write ${outPath}: ${e.code ?? e.message}`); }
}

const invokedPath = (() => { try { return realpathSync(resolve(process.argv[1] ?? '')); } catch { return ''; } })();
if (invokedPath === realpathSync(fileURLToPath(import.meta.url))) {
    main(process.argv.slice(2)).then(
        (code) => { process.exitCode = code; },
        (e) => {
            const msg = e instanceof Failure ? e.message : `internal error: ${e?.stack ?? e}`;
            process.stderr.write(`litert: ${msg.replace(/\s*\n\s*/g, ' ')}\n`);
            process.exitCode = 1;
        });
}
