/* qatrain — IMU augmentation for training only: what differs when another person wears the
 * sensor, or the board sits differently on the wrist. Every sample gets its own random
 * transform drawn from one seeded stream, so a run is reproducible from its seed.
 *
 * Reproducible to the byte: the transforms are computed in double with +, −, ×, / only (sin
 * and cos by their own series, not libm's processor-dependent code paths; no threads, no
 * fused multiply-add), so one seed gives the same floats on every x86-64 machine.
 *
 * The draws, in this order (each u a qat_rng_uniform in [0, 1), each g a qat_rng_normal):
 *   for each sample i = 0 .. n−1, whatever is switched on:
 *     u rate, u shift, u angle x, u angle y, u angle z, u scale, then u bias per channel
 *     (6 + channels draws; a transform that is off draws its numbers and ignores them)
 *   then, only when noise > 0, for each sample in turn: g per value, in memory order.
 * A value v drawn from u becomes lo + (hi − lo)·u; the shift is ⌊u·(2·shift + 1)⌋ − shift.
 * So switching one transform on or off, noise included, never changes another's draws. */
#ifndef QAT_AUGMENT_H
#define QAT_AUGMENT_H

#include "qat/error.h"
#include "qat/rng.h"

typedef struct qat_augment {
    double rotate_deg; /* rotation of the sensor frame: angles about x, y and z, each uniform in
                        * [-rotate_deg, rotate_deg] (rotation R = Rz·Ry·Rx, a vector v becomes
                        * R·v); every group of 3 channels (accelerometer xyz, gyroscope xyz)
                        * turns by the same R; 0 = off */
    double scale;      /* amplitude: the whole sample times a factor uniform in
                        * [1 - scale, 1 + scale]; 0 = off */
    double time_warp;  /* speed: the sample replayed at a rate r uniform in [1 - w, 1 + w]:
                        * output step t reads input position t·r by linear interpolation (the
                        * last step repeats past the end); 0 = off */
    int shift;         /* time shift by an integer k uniform in [-shift, shift] steps: output
                        * step t reads input step t − k (k > 0 delays); vacated steps repeat the
                        * edge value; 0 = off */
    double noise;      /* additive Gaussian noise, standard deviation in the data's units;
                        * 0 = off */
    double bias;       /* sensor offset: per channel, a constant uniform in [-bias, bias] added
                        * at every step; 0 = off */
} qat_augment;

/* Whether any transform is on. */
int qat_augment_active(const qat_augment *a);
/* Checks the settings for samples of `channels` axes: every value finite, rotate_deg in
 * [0, 180], scale and time_warp in [0, 1), shift in [0, 10000], noise and bias >= 0 and <= 1e30;
 * a rotation needs channels to be a positive multiple of 3. QAT_ERR_CONFIG naming the key as
 * "[augment] rotate_deg: ..." on failure. */
qat_status qat_augment_check(const qat_augment *a, int channels, qat_error *e);
/* Augments n samples in place: x holds n × window × channels floats (channels last, raw
 * units — before normalisation). The settings must have passed qat_augment_check. Draws
 * from rng in the order above. Order of application to each sample: time warp, shift,
 * rotation, scale, bias, noise. Does nothing (and draws nothing) when none is active.
 * `scratch` holds window × channels floats (the caller's; its contents are overwritten). */
void qat_augment_apply(const qat_augment *a, qat_rng *rng, float *x, int n, int window,
                       int channels, float *scratch);

#endif
