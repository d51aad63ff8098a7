//! Feature tokens: zero-sized proofs that the CPU has an instruction set, carrying the
//! value-only intrinsics the lanes use as safe methods, so that `unsafe` in the lane
//! types is left to memory access (loads, stores, gathers, pointer arithmetic).
//!
//! A token's field is private to this module: outside it a token only comes from
//! `new_unchecked`, whose caller vouches for the features (the lane types do so once
//! each, from their `Lanes` contract; the backward blocks once per entry point), from a
//! token for a superset of its features, or, for the x86_64 baseline, from the safe
//! `Sse2Token::new`. No method takes a pointer.

use std::arch::x86_64::*;

/// SSE2, the x86_64 baseline (the SSE intrinsics included).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sse2Token(());

/// AVX2 (and the AVX it implies).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2Token(());

/// AVX2 and F16C.
#[derive(Debug, Clone, Copy)]
pub(crate) struct F16cToken(());

/// AVX-512F (and the AVX2 every AVX-512F CPU has).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx512Token(());

#[cfg(target_feature = "sse2")]
impl Sse2Token {
    /// SSE2 is enabled at compile time for every x86_64 target, so this needs no check.
    #[inline(always)]
    pub(crate) const fn new() -> Self {
        Sse2Token(())
    }
}

impl Avx2Token {
    /// # Safety
    /// The CPU has AVX2.
    #[inline(always)]
    pub(crate) const unsafe fn new_unchecked() -> Self {
        Avx2Token(())
    }
    /// Itself, so that code generic over tokens that include AVX2 can ask for it.
    #[inline(always)]
    pub(crate) fn avx2(self) -> Avx2Token {
        self
    }
    /// The SSE2 operations, which every AVX2 CPU has.
    #[inline(always)]
    pub(crate) fn sse2(self) -> Sse2Token {
        Sse2Token(())
    }
}

impl F16cToken {
    /// # Safety
    /// The CPU has AVX2 and F16C.
    #[inline(always)]
    pub(crate) const unsafe fn new_unchecked() -> Self {
        F16cToken(())
    }
    /// The AVX2 operations: this token's features include AVX2.
    #[inline(always)]
    pub(crate) fn avx2(self) -> Avx2Token {
        Avx2Token(())
    }
}

impl Avx512Token {
    /// # Safety
    /// The CPU has AVX-512F.
    #[inline(always)]
    pub(crate) const unsafe fn new_unchecked() -> Self {
        Avx512Token(())
    }
    /// The AVX2 operations: every AVX-512F CPU has AVX2 (and `avx512f` implies `avx2`
    /// in `#[target_feature]`).
    #[inline(always)]
    pub(crate) fn avx2(self) -> Avx2Token {
        Avx2Token(())
    }
}

/// Safe methods on a token, one per value-only intrinsic: `name(args) -> ret = intrinsic;`
/// or, for an intrinsic with an immediate operand, `name<IMM>(args) -> ret = intrinsic;`
/// (the method takes the immediate as a const generic, checked by the intrinsic).
macro_rules! value_ops {
    ($token:ident: $(
        $name:ident $(<$imm:ident>)? ($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? = $intrinsic:ident;
    )*) => {
        // The set/setr constructors keep their intrinsics' one argument per lane.
        #[allow(clippy::too_many_arguments)]
        impl $token {$(
            #[doc = concat!("`", stringify!($intrinsic), "`.")]
            #[inline(always)]
            pub(crate) fn $name $(<const $imm: i32>)? (self, $($arg: $ty),*) $(-> $ret)? {
                // SAFETY: the intrinsic takes no pointer, so its only requirement is the
                // CPU features it is compiled for, all among the token's: the token exists
                // only where those were detected.
                unsafe { $intrinsic $(::<$imm>)? ($($arg),*) }
            }
        )*}
    };
}

value_ops! { Sse2Token:
    add_epi64(a: __m128i, b: __m128i) -> __m128i = _mm_add_epi64;
    add_pd(a: __m128d, b: __m128d) -> __m128d = _mm_add_pd;
    and_si128(a: __m128i, b: __m128i) -> __m128i = _mm_and_si128;
    andnot_si128(a: __m128i, b: __m128i) -> __m128i = _mm_andnot_si128;
    castps_si128(a: __m128) -> __m128i = _mm_castps_si128;
    cmpgt_ps(a: __m128, b: __m128) -> __m128 = _mm_cmpgt_ps;
    cmpunord_ps(a: __m128, b: __m128) -> __m128 = _mm_cmpunord_ps;
    cvtpd_ps(a: __m128d) -> __m128 = _mm_cvtpd_ps;
    cvtps_pd(a: __m128) -> __m128d = _mm_cvtps_pd;
    cvtss_f32(a: __m128) -> f32 = _mm_cvtss_f32;
    max_ps(a: __m128, b: __m128) -> __m128 = _mm_max_ps;
    max_ss(a: __m128, b: __m128) -> __m128 = _mm_max_ss;
    movehl_ps(a: __m128, b: __m128) -> __m128 = _mm_movehl_ps;
    movelh_ps(a: __m128, b: __m128) -> __m128 = _mm_movelh_ps;
    movemask_ps(a: __m128) -> i32 = _mm_movemask_ps;
    mul_pd(a: __m128d, b: __m128d) -> __m128d = _mm_mul_pd;
    or_ps(a: __m128, b: __m128) -> __m128 = _mm_or_ps;
    or_si128(a: __m128i, b: __m128i) -> __m128i = _mm_or_si128;
    set_epi64x(e1: i64, e0: i64) -> __m128i = _mm_set_epi64x;
    set_ps(e3: f32, e2: f32, e1: f32, e0: f32) -> __m128 = _mm_set_ps;
    set1_epi32(a: i32) -> __m128i = _mm_set1_epi32;
    set1_pd(a: f64) -> __m128d = _mm_set1_pd;
    setzero_ps() -> __m128 = _mm_setzero_ps;
    sfence() = _mm_sfence;
    shuffle_ps<IMM>(a: __m128, b: __m128) -> __m128 = _mm_shuffle_ps;
    srai_epi32<IMM>(a: __m128i) -> __m128i = _mm_srai_epi32;
    unpackhi_epi32(a: __m128i, b: __m128i) -> __m128i = _mm_unpackhi_epi32;
    unpackhi_ps(a: __m128, b: __m128) -> __m128 = _mm_unpackhi_ps;
    unpacklo_epi32(a: __m128i, b: __m128i) -> __m128i = _mm_unpacklo_epi32;
    unpacklo_ps(a: __m128, b: __m128) -> __m128 = _mm_unpacklo_ps;
}

value_ops! { Avx2Token:
    add_epi16(a: __m256i, b: __m256i) -> __m256i = _mm256_add_epi16;
    add_epi32(a: __m256i, b: __m256i) -> __m256i = _mm256_add_epi32;
    add_epi64(a: __m256i, b: __m256i) -> __m256i = _mm256_add_epi64;
    add_pd(a: __m256d, b: __m256d) -> __m256d = _mm256_add_pd;
    add_ps(a: __m256, b: __m256) -> __m256 = _mm256_add_ps;
    and_ps(a: __m256, b: __m256) -> __m256 = _mm256_and_ps;
    and_si256(a: __m256i, b: __m256i) -> __m256i = _mm256_and_si256;
    andnot_ps(a: __m256, b: __m256) -> __m256 = _mm256_andnot_ps;
    blendv_ps(a: __m256, b: __m256, mask: __m256) -> __m256 = _mm256_blendv_ps;
    castpd_ps(a: __m256d) -> __m256 = _mm256_castpd_ps;
    castps_pd(a: __m256) -> __m256d = _mm256_castps_pd;
    castps_si256(a: __m256) -> __m256i = _mm256_castps_si256;
    castps256_ps128(a: __m256) -> __m128 = _mm256_castps256_ps128;
    castsi256_ps(a: __m256i) -> __m256 = _mm256_castsi256_ps;
    castsi256_si128(a: __m256i) -> __m128i = _mm256_castsi256_si128;
    cmp_ps<IMM>(a: __m256, b: __m256) -> __m256 = _mm256_cmp_ps;
    cmpeq_epi32(a: __m256i, b: __m256i) -> __m256i = _mm256_cmpeq_epi32;
    cvtepi32_epi64(a: __m128i) -> __m256i = _mm256_cvtepi32_epi64;
    cvtepu16_epi32(a: __m128i) -> __m256i = _mm256_cvtepu16_epi32;
    cvtepu8_epi32(a: __m128i) -> __m256i = _mm256_cvtepu8_epi32;
    cvtpd_ps(a: __m256d) -> __m128 = _mm256_cvtpd_ps;
    cvtps_pd(a: __m128) -> __m256d = _mm256_cvtps_pd;
    extractf128_ps<IMM>(a: __m256) -> __m128 = _mm256_extractf128_ps;
    extracti128_si256<IMM>(a: __m256i) -> __m128i = _mm256_extracti128_si256;
    maddubs_epi16(a: __m256i, b: __m256i) -> __m256i = _mm256_maddubs_epi16;
    max_epi8(a: __m256i, b: __m256i) -> __m256i = _mm256_max_epi8;
    max_epu16(a: __m256i, b: __m256i) -> __m256i = _mm256_max_epu16;
    max_epu8(a: __m256i, b: __m256i) -> __m256i = _mm256_max_epu8;
    max_ps(a: __m256, b: __m256) -> __m256 = _mm256_max_ps;
    movemask_ps(a: __m256) -> i32 = _mm256_movemask_ps;
    mul_pd(a: __m256d, b: __m256d) -> __m256d = _mm256_mul_pd;
    mul_ps(a: __m256, b: __m256) -> __m256 = _mm256_mul_ps;
    or_ps(a: __m256, b: __m256) -> __m256 = _mm256_or_ps;
    packus_epi16(a: __m256i, b: __m256i) -> __m256i = _mm256_packus_epi16;
    packus_epi32(a: __m256i, b: __m256i) -> __m256i = _mm256_packus_epi32;
    permute2f128_pd<IMM>(a: __m256d, b: __m256d) -> __m256d = _mm256_permute2f128_pd;
    permute2f128_ps<IMM>(a: __m256, b: __m256) -> __m256 = _mm256_permute2f128_ps;
    permute4x64_epi64<IMM>(a: __m256i) -> __m256i = _mm256_permute4x64_epi64;
    permute4x64_pd<IMM>(a: __m256d) -> __m256d = _mm256_permute4x64_pd;
    set_epi64x(e3: i64, e2: i64, e1: i64, e0: i64) -> __m256i = _mm256_set_epi64x;
    set_m128(hi: __m128, lo: __m128) -> __m256 = _mm256_set_m128;
    set_m128i(hi: __m128i, lo: __m128i) -> __m256i = _mm256_set_m128i;
    set1_epi16(a: i16) -> __m256i = _mm256_set1_epi16;
    set1_epi32(a: i32) -> __m256i = _mm256_set1_epi32;
    set1_epi64x(a: i64) -> __m256i = _mm256_set1_epi64x;
    set1_epi8(a: i8) -> __m256i = _mm256_set1_epi8;
    set1_pd(a: f64) -> __m256d = _mm256_set1_pd;
    set1_ps(a: f32) -> __m256 = _mm256_set1_ps;
    setr_epi32(
        e0: i32, e1: i32, e2: i32, e3: i32, e4: i32, e5: i32, e6: i32, e7: i32,
    ) -> __m256i = _mm256_setr_epi32;
    setr_ps(
        e0: f32, e1: f32, e2: f32, e3: f32, e4: f32, e5: f32, e6: f32, e7: f32,
    ) -> __m256 = _mm256_setr_ps;
    setzero_ps() -> __m256 = _mm256_setzero_ps;
    shuffle_epi32<IMM>(a: __m256i) -> __m256i = _mm256_shuffle_epi32;
    shuffle_ps<IMM>(a: __m256, b: __m256) -> __m256 = _mm256_shuffle_ps;
    slli_epi32<IMM>(a: __m256i) -> __m256i = _mm256_slli_epi32;
    srli_epi16<IMM>(a: __m256i) -> __m256i = _mm256_srli_epi16;
    srli_epi32<IMM>(a: __m256i) -> __m256i = _mm256_srli_epi32;
    unpackhi_ps(a: __m256, b: __m256) -> __m256 = _mm256_unpackhi_ps;
    unpacklo_ps(a: __m256, b: __m256) -> __m256 = _mm256_unpacklo_ps;
}

value_ops! { F16cToken:
    cvtph_ps(a: __m128i) -> __m256 = _mm256_cvtph_ps;
    cvtps_ph<ROUNDING>(a: __m256) -> __m128i = _mm256_cvtps_ph;
}

value_ops! { Avx512Token:
    add_epi64(a: __m512i, b: __m512i) -> __m512i = _mm512_add_epi64;
    add_pd(a: __m512d, b: __m512d) -> __m512d = _mm512_add_pd;
    castpd_ps(a: __m512d) -> __m512 = _mm512_castpd_ps;
    castpd256_pd512(a: __m256d) -> __m512d = _mm512_castpd256_pd512;
    castpd512_pd256(a: __m512d) -> __m256d = _mm512_castpd512_pd256;
    castps_pd(a: __m512) -> __m512d = _mm512_castps_pd;
    castps512_ps256(a: __m512) -> __m256 = _mm512_castps512_ps256;
    castsi512_si256(a: __m512i) -> __m256i = _mm512_castsi512_si256;
    cmp_ps_mask<IMM>(a: __m512, b: __m512) -> __mmask16 = _mm512_cmp_ps_mask;
    cvtepi32_epi64(a: __m256i) -> __m512i = _mm512_cvtepi32_epi64;
    cvtpd_ps(a: __m512d) -> __m256 = _mm512_cvtpd_ps;
    cvtps_pd(a: __m256) -> __m512d = _mm512_cvtps_pd;
    extractf64x4_pd<IMM>(a: __m512d) -> __m256d = _mm512_extractf64x4_pd;
    extracti64x4_epi64<IMM>(a: __m512i) -> __m256i = _mm512_extracti64x4_epi64;
    insertf64x4<IMM>(a: __m512d, b: __m256d) -> __m512d = _mm512_insertf64x4;
    mask_blend_epi32(k: __mmask16, a: __m512i, b: __m512i) -> __m512i = _mm512_mask_blend_epi32;
    max_ps(a: __m512, b: __m512) -> __m512 = _mm512_max_ps;
    mul_pd(a: __m512d, b: __m512d) -> __m512d = _mm512_mul_pd;
    permutex2var_ps(a: __m512, idx: __m512i, b: __m512) -> __m512 = _mm512_permutex2var_ps;
    set_epi64(
        e7: i64, e6: i64, e5: i64, e4: i64, e3: i64, e2: i64, e1: i64, e0: i64,
    ) -> __m512i = _mm512_set_epi64;
    set1_epi32(a: i32) -> __m512i = _mm512_set1_epi32;
    set1_epi64(a: i64) -> __m512i = _mm512_set1_epi64;
    set1_pd(a: f64) -> __m512d = _mm512_set1_pd;
    setr_epi32(
        e0: i32, e1: i32, e2: i32, e3: i32, e4: i32, e5: i32, e6: i32, e7: i32,
        e8: i32, e9: i32, e10: i32, e11: i32, e12: i32, e13: i32, e14: i32, e15: i32,
    ) -> __m512i = _mm512_setr_epi32;
}
