//! The test matrix the kernel table generates: every route's example, on every instruction
//! set this CPU has (`POOLKIT_REQUIRE_ISA` turns a missing one into a failure) and every
//! element type, takes its route and gives the reference's values and indices bit for bit.

mod common;

use poolkit::{
    reference, with_dtype, DType, Element, ExecOptions, IndexConvention, Isa, Parallelism,
    PoolPlan, PreparedPool, Route, TensorView,
};

/// Values with ties, negatives and a few NaN for float types, all exact in every type.
fn values<T: Element>(len: usize) -> Vec<T> {
    let mut s = 0x9e37_79b9_u64;
    (0..len)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            if T::DTYPE.is_float() && i % 97 == 13 {
                T::from_f64(f64::NAN)
            } else {
                let v = (s % 120) as f64;
                T::from_f64(if T::DTYPE == DType::U8 || T::DTYPE == DType::U16 {
                    v
                } else {
                    v - 60.0
                })
            }
        })
        .collect()
}

/// Equal bit for bit as f64, NaN equal to NaN.
fn same<T: Element>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            let (x, y) = (x.to_f64(), y.to_f64());
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        })
}

fn check<T: Element>(route: Route, isa: Isa) {
    let example = route.example();
    let plan = PoolPlan::new(&example.spec, &example.shape, example.layout).unwrap();
    let parallelism = example
        .threads
        .map_or(Parallelism::Auto, Parallelism::Threads);
    let options = ExecOptions::new().isa(isa).parallelism(parallelism);
    let prepared = PreparedPool::<T>::new(&plan, &options).unwrap();
    let data = values::<T>(plan.input_len());
    let x = TensorView::new(&data, &example.shape).unwrap();
    let what = format!("{route} on {isa}, {}", T::DTYPE.name());
    let mut want = vec![T::ZERO; plan.output_len()];
    if example.with_indices {
        assert_eq!(prepared.route_with_indices(), route, "{what}");
        let torch = IndexConvention::Torch;
        let mut want_idx = vec![0i64; plan.output_len()];
        reference::pool_forward(&plan, &x, &mut want, Some((&mut want_idx, torch)));
        let (got, got_idx) = prepared.forward_with_indices(&x, torch).unwrap();
        assert!(same(got.data(), &want), "{what}: values");
        assert_eq!(got_idx.data(), &want_idx[..], "{what}: indices");
    } else {
        assert_eq!(prepared.route(), route, "{what}");
        reference::pool_forward(&plan, &x, &mut want, None);
        let got = prepared.forward(&x).unwrap();
        assert!(same(got.data(), &want), "{what}");
    }
}

#[test]
fn every_route_matches_the_reference_on_every_isa_and_element_type() {
    let isas = common::isas();
    for &route in Route::ALL {
        for &isa in &isas {
            for dtype in DType::ALL {
                with_dtype!(dtype, |T| check::<T>(route, isa));
            }
        }
    }
}
