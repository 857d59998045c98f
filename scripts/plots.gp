# qatrain — the plots of report.html (src/report/plots.c runs this; needs gnuplot >= 5.2).
#
# Run in a private temporary folder holding the data files plots.c wrote; every path here
# is relative to it, so no temporary path ends up in an SVG. Variables, set with -e:
#   phases     training phases that ran, in order: any of "float qat prune pqat"
#   nlayers    conv/dense layers with a weight histogram (hist_1.dat ... hist_N.dat)
#   quantized  1 when PTQ/QAT ran (weights.svg, sqnr.svg, int8 confusion matrix)
#   pruned     1 when pruning ran (sweep.svg)
#   nclasses   number of classes (the confusion matrices are nclasses x nclasses)
#   staged     1 under progressive / delayed quantization: the QAT curves show the bits
#   sensitivity 1 with [quant] sensitivity (sensitivity.svg)
#   search     1 after an architecture search (search.svg)
#   stages     1 with a [target]: the stage table (stages.svg)
# Data files (whitespace-separated, first line a header, names double-quoted):
#   curve_PHASE.dat   epoch loss accuracy val_loss val_accuracy weight_bits act_bits
#                     (accuracies in %; bits 32 = not quantized)
#   sweep.dat         sparsity% int8_acc% float_acc% tflite_KiB gzip_KiB (0 % = unpruned QAT)
#   hist_I.dat        bin_centre float_count int8_count; header "value" "LAYER"
#   conf_float.dat, conf_int8.dat   predicted true row_fraction count
#   classes.dat       index "NAME"
#   sqnr.dat          "TENSOR" ptq_db qat_db ('?' = exact)
#   lab.dat           "MODEL TYPE" file_KB accuracy% (the lab's comparison, when quantized)
#   sensitivity.dat   "LAYER" accuracy% with only its weights at 2, 4, 8 bits (last: all layers)
#   search.dat        flash_KB arena_KB val_accuracy% on_front winner (every candidate)
#   stages.dat        "STAGE" flash_KB arena_KB float% int8% (the progressive pipeline's stages)
# Writes curves.svg, confusion.svg and, as the variables say, sweep.svg, weights.svg,
# sqnr.svg, lab.svg. Fixed sizes and fonts: the same data always gives the same bytes.

if (!exists("phases")) phases = "float"
if (!exists("nlayers")) nlayers = 0
if (!exists("quantized")) quantized = 0
if (!exists("pruned")) pruned = 0
if (!exists("nclasses")) nclasses = 2
if (!exists("staged")) staged = 0
if (!exists("sensitivity")) sensitivity = 0
if (!exists("search")) search = 0
if (!exists("stages")) stages = 0

set encoding utf8
set datafile missing '?'
set datafile columnheaders
font_ = 'sans-serif,11'
svg_(w, h) = sprintf("set terminal svg size %d,%d fixed font '%s' noenhanced background '#ffffff'", w, h, font_)

c_train = '#1f5fa8'
c_val = '#e07b1a'
c_ptq = '#9fb3c8'
c_qat = '#1f5fa8'
c_float = '#2e8b57'
c_gzip = '#b5525c'
set style line 101 lc rgb '#d5dbe1' lw 1 dt 3
set grid back ls 101
set border 3 lc rgb '#555555'
set tics nomirror out scale 0.6
set key noautotitle

phase_title(p) = p eq "float" ? "float training" : \
                 p eq "qat" ? "QAT (fake-quant)" : \
                 p eq "prune" ? "pruning (float, masks)" : "QAT of the pruned model"

# ---- 1. training and validation curves: loss above, accuracy below, one column a phase ----
np = words(phases)
if (np > 0) {
eval svg_(np == 1 ? 640 : 960, 540)
set output 'curves.svg'
set multiplot layout 2, np spacing 0.06, 0.10 margins 0.08, (staged ? 0.93 : 0.98), 0.10, 0.93
do for [i = 1:np] {
    p = word(phases, i)
    f = 'curve_'.p.'.dat'
    set title phase_title(p) font ',11'
    set xlabel ''
    set ylabel (i == 1 ? 'loss' : '')
    set yrange [0:*]
    set format y '%.2f'
    if (i == 1) { set key top right samplen 2 spacing 1.1 font ',10' } else { unset key }
    plot f using 1:2 with lines lw 2 lc rgb c_train title 'train', \
         f using 1:4 with lines lw 2 dt 2 lc rgb c_val title 'validation'
}
do for [i = 1:np] {
    p = word(phases, i)
    f = 'curve_'.p.'.dat'
    unset title
    set xlabel 'epoch'
    set ylabel (i == 1 ? 'accuracy (%)' : '')
    set yrange [*:100]
    set format y '%g'
    if (i == 1) { set key bottom right samplen 2 spacing 1.1 font ',10' } else { unset key }
    if (staged && (p eq "qat" || p eq "pqat")) {
        # the bits each epoch simulated, on the right axis (32 = not quantized yet: "float")
        set key bottom left Left reverse opaque samplen 2 spacing 1.1 font ',10'
        set y2range [0:10]
        set y2tics ("2" 2, "4" 4, "6" 6, "8" 8, "float" 9.5) nomirror
        set y2label 'bits' offset -1.5, 0
        plot f using 1:3 with lines lw 2 lc rgb c_train title 'train', \
             f using 1:5 with lines lw 2 dt 2 lc rgb c_val title 'validation', \
             f using 1:($6 > 8 ? 9.5 : $6) axes x1y2 with steps lw 1.5 lc rgb c_gzip title 'weight bits', \
             f using 1:($7 > 8 ? 9.5 : $7) axes x1y2 with steps lw 1.5 dt 3 lc rgb c_float title 'activation bits'
        unset y2tics
        unset y2label
    } else {
        plot f using 1:3 with lines lw 2 lc rgb c_train title 'train', \
             f using 1:5 with lines lw 2 dt 2 lc rgb c_val title 'validation'
    }
}
unset multiplot
}
set format y '% h'
set yrange [*:*]

# ---- 2. accuracy vs sparsity, file sizes on the second axis ----
if (pruned) {
    eval svg_(960, 400)
    set output 'sweep.svg'
    set xlabel 'sparsity of the pruned kernels (%)'
    set ylabel 'test accuracy (%)'
    set y2label 'file size (KiB)'
    set xrange [-2:100]
    set yrange [*:100]
    set y2range [0:*]
    set ytics nomirror
    set y2tics nomirror
    set border 11 lc rgb '#555555'
    set key outside bottom center horizontal samplen 2 font ',10'
    plot 'sweep.dat' using 1:2 with linespoints lw 2 pt 7 ps 1.0 lc rgb c_qat title 'int8 QAT accuracy', \
         'sweep.dat' using 1:3 with linespoints lw 2 dt 2 pt 6 ps 1.0 lc rgb c_float title 'float accuracy (after pruning, before QAT)', \
         'sweep.dat' using 1:4 axes x1y2 with linespoints lw 1.5 pt 5 ps 0.8 lc rgb '#666666' title '.tflite KiB', \
         'sweep.dat' using 1:5 axes x1y2 with linespoints lw 1.5 pt 9 ps 1.0 lc rgb c_gzip title 'gzip -9 KiB'
    unset y2tics
    unset y2label
    set border 3 lc rgb '#555555'
    set xrange [*:*]
    set yrange [*:*]
    unset title
}

# ---- 3. float vs int8 weight histograms, one panel a layer ----
if (quantized && nlayers > 0) {
    cols = nlayers < 2 ? nlayers : 2
    rows = (nlayers + cols - 1) / cols
    eval svg_(960, 260 * rows)
    set output 'weights.svg'
    set multiplot layout rows, cols
    set lmargin 10
    set style fill solid 0.45 noborder
    set key inside top left vertical Left reverse samplen 2 font ',10'
    set xlabel 'weight value'
    set ylabel 'weights per bin'
    set format x '%.2f'
    do for [i = 1:nlayers] {
        f = 'hist_'.i.'.dat'
        plot f using 1:2 with boxes lc rgb c_float title columnheader(2).': float', \
             f using 1:3 with histeps lw 1.5 lc rgb c_qat title 'int8 QAT (dequantized)'
    }
    unset multiplot
    unset lmargin
    set style fill empty
    set format x '% h'
    unset xlabel
    unset ylabel
}

# ---- 4. confusion matrices on the test split ----
nm = quantized ? 2 : 1
eval svg_(460 * nm, 420)
set output 'confusion.svg'
set multiplot layout 1, nm spacing 0.12 margins 0.14, 0.98, 0.18, 0.90
set palette defined (0 '#ffffff', 1 '#7fa7d6', 2 '#2b5c9c')
set cbrange [0:1]
unset colorbox
unset grid
set border 15 lc rgb '#555555'
set tics scale 0
set xlabel 'predicted'
set ylabel 'true'
set xtics () rotate by -30
set ytics ()
do for [m = 1:nm] {
    f = m == 1 ? 'conf_float.dat' : 'conf_int8.dat'
    set title (m == 1 ? 'float32' : 'int8 QAT (integer engine)') font ',12'
    k = nclasses
    set xrange [-0.5:k - 0.5]
    set yrange [k - 0.5:-0.5]
    plot f using 1:2:3 with image pixels, \
         f using 1:2:(sprintf('%d', $4)):($3 > 0.6 ? 0xffffff : 0x222222) with labels tc rgb variable font ',12', \
         'classes.dat' using 1:(1/0):xtic(2) with points, \
         'classes.dat' using (1/0):1:ytic(2) with points
}
unset multiplot
set grid back ls 101
set border 3 lc rgb '#555555'
set tics scale 0.6
set xtics norotate autofreq
set ytics autofreq
set xrange [*:*]
set yrange [*:*]
unset xlabel
unset ylabel
unset title

# ---- 6. the quantization lab's "Pareto frontier": accuracy against file size ----
if (quantized) {
    eval svg_(760, 420)
    set output 'lab.svg'
    set xlabel 'model file (KB)'
    set ylabel 'test accuracy (%)'
    set xrange [0:*]
    set offsets 0, graph 0.3, graph 0.08, graph 0.08
    plot 'lab.dat' using 2:3 with points pt 7 ps 1.3 lc rgb c_qat, \
         'lab.dat' using 2:3:1 with labels left offset 0.8,0.4 font ',10' tc rgb '#333333'
    unset offsets
    unset xrange
    unset xlabel
    unset ylabel
}
unset output

# ---- per-layer sensitivity: which layer hurts ----
if (sensitivity) {
    eval svg_(960, 360)
    set output 'sensitivity.svg'
    set ylabel 'accuracy (%)'
    set yrange [0:100]
    set style data histogram
    set style histogram clustered gap 1
    set style fill solid 0.85 noborder
    set boxwidth 0.9
    set xtics rotate by -30
    set key inside bottom right vertical samplen 2 font ',10'
    set xlabel 'weights quantized: this layer alone (every other layer float), then all'
    plot 'sensitivity.dat' using 2:xtic(1) lc rgb c_gzip title '2-bit', \
         'sensitivity.dat' using 3 lc rgb c_ptq title '4-bit', \
         'sensitivity.dat' using 4 lc rgb c_qat title '8-bit'
    unset output
    set xtics norotate
    set xlabel ''
    set yrange [*:*]
}

# ---- the architecture search: every candidate, the Pareto front, the winner ----
if (search) {
    eval svg_(760, 420)
    set output 'search.svg'
    set xlabel 'flash: the int8 .tflite (KB)'
    set ylabel 'validation accuracy (%)'
    set key inside bottom right vertical samplen 2 font ',10'
    plot 'search.dat' using 1:3 with points pt 6 ps 0.9 lc rgb c_ptq title 'candidate', \
         'search.dat' using ($4 > 0 ? $1 : 1/0):3 with points pt 7 ps 1.2 lc rgb c_qat title 'Pareto front (accuracy, flash, arena)', \
         'search.dat' using ($5 > 0 ? $1 : 1/0):3 with points pt 5 ps 1.6 lc rgb c_gzip title 'winner'
    unset output
    unset xlabel
    unset ylabel
}

# ---- the progressive pipeline: each stage's int8 model ----
if (stages) {
    eval svg_(760, 380)
    set output 'stages.svg'
    set style data histogram
    set style histogram clustered gap 1
    set style fill solid 0.85 noborder
    set boxwidth 0.9
    set ylabel 'KB'
    set yrange [0:*]
    set y2label 'test accuracy (%)'
    set y2range [0:100]
    set y2tics
    set ytics nomirror
    set key outside bottom center horizontal samplen 2 font ',10'
    plot 'stages.dat' using 2:xtic(1) lc rgb c_ptq title 'flash (KB)', \
         'stages.dat' using 3 lc rgb c_gzip title 'arena (KB)', \
         'stages.dat' using 0:4 axes x1y2 with linespoints pt 7 lc rgb c_train title 'float %', \
         'stages.dat' using 0:5 axes x1y2 with linespoints pt 5 lc rgb c_qat title 'int8 %'
    unset output
    unset y2tics
    unset y2label
    set ytics mirror
    set y2range [*:*]
    set yrange [*:*]
    unset ylabel
}

# ---- 5. per-tensor quantization error ----
if (quantized) {
    eval svg_(960, 360)
    set output 'sqnr.svg'
    set ylabel 'SQNR (dB)'
    set yrange [0:*]
    set style data histogram
    set style histogram clustered gap 1
    set style fill solid 0.85 noborder
    set boxwidth 0.9
    set xtics rotate by -30
    set key inside top right vertical samplen 2 font ',10'
    set xlabel 'int8 tensor (layer output)'
    plot 'sqnr.dat' using 2:xtic(1) lc rgb c_ptq title 'PTQ', \
         'sqnr.dat' using 3 lc rgb c_qat title 'QAT'
}
unset output
