/* Compiled alone by tests/e2e/test_firmware.sh with the compiler's GNU macros hidden
 * (-U__GNUC__ -U__clang__), so that model_int8.c takes its standard C11 (_Alignas) or
 * C++11 (alignas) spelling: the array must still be declared 16-byte aligned. */
#if defined(__GNUC__) || defined(__clang__)
#error "compile with -U__GNUC__ -U__clang__"
#endif
#include "model_int8.c"

#ifdef __cplusplus
static_assert(__alignof__(g_model_int8) >= 16, "g_model_int8 is not declared 16-byte aligned");
#else
_Static_assert(__alignof__(g_model_int8) >= 16, "g_model_int8 is not declared 16-byte aligned");
#endif
