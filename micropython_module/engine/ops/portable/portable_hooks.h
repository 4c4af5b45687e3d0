/*
 * Hooks from the reference CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
 * kernels into the optimized portable C kernels of this directory, for
 * targets without the Arm DSP extension: Cortex-M0/M0+ (RP2040), M3, x86,
 * Xtensa.
 *
 * TML_HAVE_PORTABLE is 1 unless the build asks for the reference kernels
 * (TML_REFERENCE_KERNELS); the files of this directory compile to nothing then.
 * On a target with the DSP extension they are the second choice: a node the
 * arm/ kernel does not cover (a depthwise multiplier of 2 or 3, a grouped
 * convolution, ...) runs here before it falls to the reference loop.
 *
 * The kernels take the same description of a node as the DSP kernels
 * (tml_dsp_conv, tml_dsp_fc from arm/dsp_hooks.h) and need no scratch and no
 * state: nothing is copied, the weights are read in place (flash). Each one
 * returns 0 for a node it does not cover, and the reference loop runs.
 *
 * Every kernel produces exactly the reference kernel's bytes: its int32 sums
 * are the reference's sums modulo 2^32 (all arithmetic wraps in uint32, as
 * the reference's does), added in another order, and the requantization is
 * the reference's tml_requantize_int8.
 */
#ifndef TML_PORTABLE_HOOKS_H
#define TML_PORTABLE_HOOKS_H

#include "../arm/dsp_hooks.h"

#if !defined(TML_REFERENCE_KERNELS)
#define TML_HAVE_PORTABLE 1
#else
#define TML_HAVE_PORTABLE 0
#endif

#if TML_HAVE_PORTABLE
/* Run the node: 1 when it ran, 0 when the reference kernel must run. */
int tml_conv_2d_portable(const tml_dsp_conv *c, const int8_t *input, const int8_t *filter, const int32_t *bias,
    int8_t *output);
int tml_depthwise_conv_2d_portable(const tml_dsp_conv *c, const int8_t *input, const int8_t *filter,
    const int32_t *bias, int8_t *output);
int tml_fully_connected_portable(const tml_dsp_fc *c, const int8_t *input, const int8_t *weights,
    const int32_t *bias, int8_t *output);
#endif

#endif /* TML_PORTABLE_HOOKS_H */
