/*
 * Hooks from the reference CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
 * kernels into the Cortex-M DSP-extension kernels of this directory.
 *
 * TML_HAVE_DSP is 1 when the target has the DSP extension (__ARM_FEATURE_DSP:
 * Cortex-M4, M7, M33 ...) and the build does not ask for the reference kernels
 * (TML_REFERENCE_KERNELS); the files of this directory compile to nothing
 * otherwise, and the reference kernels' hooks are left out.
 *
 * Every optimized kernel produces exactly the reference kernel's bytes: the
 * int32 sums are the same modulo 2^32 (SMLAD wraps like the reference's
 * uint32 sums), and the requantization is tml_mbqm's (dsp.h proves the fast
 * form equal where it is used, and falls back to tml_mbqm elsewhere).
 */
#ifndef TML_DSP_HOOKS_H
#define TML_DSP_HOOKS_H

#include <stdint.h>

#if defined(__ARM_FEATURE_DSP) && !defined(TML_REFERENCE_KERNELS)
#define TML_HAVE_DSP 1
#else
#define TML_HAVE_DSP 0
#endif

/* Everything an int8 convolution kernel needs, filled by the reference
 * kernel's eval from its prepared parameters. */
typedef struct {
    int32_t batches, in_h, in_w, in_c;
    int32_t f_h, f_w, f_in_c;
    int32_t out_h, out_w, out_c;
    int32_t pad_h, pad_w, stride_h, stride_w, dilation_h, dilation_w;
    int32_t depth_multiplier; /* DEPTHWISE_CONV_2D only */
    int32_t input_offset, output_offset, act_min, act_max;
    const int32_t *multiplier; /* per channel (step 1) or one (step 0) */
    const int8_t *shift;
    int32_t step;
} tml_dsp_conv;

typedef struct {
    int32_t batches, units, depth;
    int32_t input_offset, weight_offset, output_offset, act_min, act_max;
    const int32_t *multiplier;
    const int8_t *shift;
    int32_t step;
} tml_dsp_fc;

#if TML_HAVE_DSP
/* Scratch bytes the optimized kernel wants for this node, called from prepare
 * with the shapes set. CONV_2D: 0 when it does not apply (the reference
 * kernel runs). DEPTHWISE_CONV_2D and FULLY_CONNECTED take no arena scratch
 * (always 0): their eval hooks decide alone whether they apply. */
uint32_t tml_conv_2d_dsp_scratch(const tml_dsp_conv *c);
uint32_t tml_depthwise_conv_2d_dsp_scratch(const tml_dsp_conv *c);
uint32_t tml_fully_connected_dsp_scratch(const tml_dsp_fc *c);
/* Run the node if the optimized kernel applies and `scratch_bytes` is enough:
 * returns 1 when it ran, 0 when the reference kernel must run. */
int tml_conv_2d_dsp(const tml_dsp_conv *c, const int8_t *input, const int8_t *filter, const int32_t *bias,
    int8_t *output, void *scratch, uint32_t scratch_bytes);
int tml_depthwise_conv_2d_dsp(const tml_dsp_conv *c, const int8_t *input, const int8_t *filter,
    const int32_t *bias, int8_t *output, void *scratch, uint32_t scratch_bytes);
int tml_fully_connected_dsp(const tml_dsp_fc *c, const int8_t *input, const int8_t *weights, const int32_t *bias,
    int8_t *output, void *scratch, uint32_t scratch_bytes);
#endif

#endif /* TML_DSP_HOOKS_H */
